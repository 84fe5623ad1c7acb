"""The conversation: flows, replies and storage; what a message means comes from `gateway.understanding`."""
