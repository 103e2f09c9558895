"""Training of the embedded cascade: `python3 -m models.train --stage encoder|base64|sr256|sr1024`."""
