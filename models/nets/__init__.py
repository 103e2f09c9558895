"""PyTorch definitions of the imagen-ts cascade: T5-style text encoder and Efficient U-Nets."""
