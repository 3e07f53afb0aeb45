"""OCR of scanned PDF pages: pypdfium2 renders the page, Tesseract reads the picture.

The only module that imports pypdfium2 and pytesseract. Both are imported lazily, so a
deployment without Tesseract still parses text PDFs; ``OcrEngine.available()`` tells the
parser whether scanned pages can be read or must be marked as unread.
"""

from __future__ import annotations

import importlib.util
import logging
import shutil
import threading
from typing import TYPE_CHECKING

from docproc.pipeline.text import normalize_text

if TYPE_CHECKING:
    from PIL.Image import Image

logger = logging.getLogger(__name__)

DEFAULT_DPI = 200
# A rendered page larger than this on either side is scaled down (a poster-sized page at
# 200 dpi would need gigabytes); Tesseract gains nothing from more pixels.
MAX_RENDER_PIXELS = 8000
DEFAULT_TIMEOUT_S = 120.0

# PDFium is not thread-safe; serialise rendering within a process.
_PDFIUM_LOCK = threading.Lock()


class OcrEngine:
    """Reads the text of PDF pages that have no text layer.

    ``languages`` is Tesseract's ``-l`` argument ("eng", "eng+deu"); each must be installed.
    Output is normalised like every other page text, so the same page always yields the
    same string with the same Tesseract version and language data.
    """

    def __init__(
        self,
        languages: str = "eng",
        *,
        dpi: int = DEFAULT_DPI,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.languages = languages
        self.dpi = dpi
        self.timeout_s = timeout_s
        self._available: bool | None = None

    def available(self) -> bool:
        """Whether OCR can run here: the tesseract binary is on PATH, pytesseract imports,
        and every requested language is installed. Checked once, then remembered."""
        if self._available is None:
            self._available = self._check_available()
        return self._available

    def ocr_pdf_page(self, data: bytes, page_index: int, password: str | None) -> str:
        """The normalised OCR text of page ``page_index`` (0-based) of the PDF ``data``."""
        import pytesseract

        image = self._render(data, page_index, password)
        text = pytesseract.image_to_string(image, lang=self.languages, timeout=self.timeout_s)
        return normalize_text(text)

    def _render(self, data: bytes, page_index: int, password: str | None) -> Image:
        """Render one page to a greyscale PIL image at ``dpi`` (capped in size)."""
        import pypdfium2

        with _PDFIUM_LOCK:
            document = pypdfium2.PdfDocument(data, password=password)
            try:
                page = document[page_index]
                try:
                    width, height = page.get_size()  # in points, 1/72 inch
                    scale = min(self.dpi / 72, MAX_RENDER_PIXELS / max(width, height, 1))
                    bitmap = page.render(scale=scale, grayscale=True)
                    image: Image = bitmap.to_pil()
                    return image
                finally:
                    page.close()
            finally:
                document.close()

    def _check_available(self) -> bool:
        if shutil.which("tesseract") is None:
            logger.info("OCR unavailable: no tesseract binary on PATH")
            return False
        if importlib.util.find_spec("pytesseract") is None:
            logger.info("OCR unavailable: pytesseract is not installed")
            return False
        import pytesseract

        try:
            installed = set(pytesseract.get_languages(config=""))
        except Exception as exc:  # tesseract present but broken
            logger.warning("OCR unavailable: tesseract failed to list languages: %r", exc)
            return False
        missing = [lang for lang in self.languages.split("+") if lang not in installed]
        if missing:
            logger.warning("OCR unavailable: tesseract languages not installed: %s", missing)
            return False
        return True
