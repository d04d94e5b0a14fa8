256 SHA256:PyMQNM4AyI4rji+LKc0tANLxpqfHEfAiNc+/IrkR1S8 bob@security-key (ED25519-SK)
