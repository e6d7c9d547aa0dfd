"""Client SDKs generated from the committed OpenAPI document (`make sdk`)."""
