"""espeak-ng (Debian ``espeak-ng``): English accents times voice variants (``en-us+f3``)."""
