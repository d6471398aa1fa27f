"""Labels as PDF: read label PDFs (embedded label, fillable forms, text layer) and write
corrected CN 23 labels and notices.

``postcheck.pdf.read`` uses pypdf and ``postcheck.pdf.write`` reportlab; both are imported only
when a PDF is read or written, so the command line starts fast.
"""
