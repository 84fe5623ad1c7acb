"""gRPC inference service: DialoGPT replies for the clinic assistant, with continuous batching."""
