"""The WhatsApp Cloud API channel: webhook payloads in, Graph API messages out."""
