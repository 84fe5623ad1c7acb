"""Every fixed Spanish text the assistant sends, in one place."""

DID_NOT_UNDERSTAND = "Disculpe, no le entendí bien. ¿Podría escribirlo de otra forma?"
