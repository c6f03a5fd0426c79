"""Traces: their entities, the trace infos' writes and reads (`trace_infos`), their search."""
