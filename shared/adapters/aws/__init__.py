"""AWS adapters of the ports (S3, EventBridge, Cognito, KMS, SageMaker, SES/SNS)."""
