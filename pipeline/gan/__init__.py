"""GAN family: per-class DCGANs (paper 000), the feature GAN (paper 002), synthetic rows, GAN metrics."""
