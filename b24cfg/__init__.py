"""b24cfg: Bitrix24 CRM configuration as code."""

__version__ = "0.1.0"
