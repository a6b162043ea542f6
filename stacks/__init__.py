"""The CDK app's stacks and constructs. Nothing of the runtime is imported here but names."""
