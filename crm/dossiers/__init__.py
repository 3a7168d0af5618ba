"""PDF documents for officials and managers: agreement dossiers and briefings."""
