"""What every domain shares: sessions, errors, the head tables, paging, lookups, the guard."""
