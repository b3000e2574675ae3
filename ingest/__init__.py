"""Reading source drops into the raw tables: the drop loader, file readers and API-object flatteners.

The declarations they check against (raw layout, contracts) live in `data_contracts/`."""
