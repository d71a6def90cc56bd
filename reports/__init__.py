"""reports: the daily keyword-match report, built from storage, rendered and delivered."""
