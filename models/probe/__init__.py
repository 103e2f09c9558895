"""Text-encoder probe (issue 11, item 2): what a U-Net can read from frozen encoder outputs. See README.md."""
