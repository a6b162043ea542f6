"""The domain: plain Python types and rules, nothing of AWS, HTTP or SQL."""
