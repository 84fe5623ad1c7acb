"""Conversation engine: understanding patient messages, storing conversations, answering them."""

from gateway.conversation.intents import Intent
from gateway.conversation.nlu import Understanding, understand
from gateway.conversation.times import TimeOfDay

__all__ = ["Intent", "TimeOfDay", "Understanding", "understand"]
