"""A small pet shop API: Lambda handlers, and the inventory service behind HTTP_PROXY."""
