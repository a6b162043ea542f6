"""``python -m ml.serving [--host 0.0.0.0] [--port 8080] [--models DIR]``: the image's
``serve`` command."""

from ml.serving.server import main

main()
