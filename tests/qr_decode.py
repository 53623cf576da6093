"""Read a QR code back from PNG bytes with OpenCV (installed with rapidocr-onnxruntime), as a phone would."""

from __future__ import annotations

import cv2
import numpy as np


def decode_qr(png: bytes) -> str:
    image = cv2.imdecode(np.frombuffer(png, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    assert image is not None, "not a decodable image"
    text, points, _ = cv2.QRCodeDetector().detectAndDecode(image)
    assert points is not None and text, "no QR code found"
    return str(text)
