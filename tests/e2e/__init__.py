"""End-to-end tests: real n8n, a real gateway process, fake WhatsApp and SMS providers."""
