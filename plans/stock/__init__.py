"""Stock of batches: the clinic's batches (plans/models/stock.py), kept through the services
here, offered by the give form, flagged on the stock page."""
