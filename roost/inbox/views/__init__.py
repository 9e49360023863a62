"""The inbox's pages, one module per area: queues and conversations, and the inbox settings."""
