256 SHA256:86LJwcFk1fshyFT2ks1kxA7kS3d3MBLrNb+9rH5lCjM carol@ckq-test (ED25519)
