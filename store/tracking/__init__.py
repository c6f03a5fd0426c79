"""Tracking: experiments, runs and what is logged to them; `store.TrackingStore` over them all."""
