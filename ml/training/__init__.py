"""The training image: SageMaker training jobs run Fluxo's training commands in it."""
