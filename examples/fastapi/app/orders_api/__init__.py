"""A small orders API: FastAPI served by uvicorn with several worker processes."""
