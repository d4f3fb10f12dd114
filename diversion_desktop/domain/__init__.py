"""Pure scheme rules: eligibility, pathways, next steps. No Qt, no SQL."""
