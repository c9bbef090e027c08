"""Dinero exacto: decimales sin pasar por float, redondeo HALF-UP solo al final.

Los cálculos intermedios usan un contexto de 50 dígitos significativos: las tasas sin redondear
(p. ej. 261,895.56 / 31,105.60 = 8.4195630368…) se conservan así y solo se redondean al mostrar
o al liquidar el monto final de cada predio.
"""

from __future__ import annotations

import decimal
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import numpy as np

CONTEXTO = decimal.Context(prec=50, rounding=ROUND_HALF_UP)
CENTIMO = Decimal("0.01")
CERO = Decimal(0)
_RUIDO = Decimal("1e-30")


def con_contexto(f):
    """Ejecuta ``f`` con el contexto de 50 dígitos (también para sumas y restas)."""
    import functools

    @functools.wraps(f)
    def envuelta(*a, **k):
        with decimal.localcontext(CONTEXTO):
            return f(*a, **k)

    return envuelta


def dec(x) -> Decimal:
    """Convierte a Decimal sin pasar por la representación binaria de un float."""
    if isinstance(x, Decimal):
        return x
    if x is None:
        return CERO
    if isinstance(x, (bool, np.bool_)):
        return Decimal(int(x))
    if isinstance(x, (int, np.integer)):
        return Decimal(int(x))
    if isinstance(x, (float, np.floating)):
        return Decimal(repr(float(x)))  # el decimal más corto que representa al float
    return Decimal(x)


def redondear(x: Decimal, decimales: int = 2) -> Decimal:
    """Redondeo HALF-UP a ``decimales`` (2 = céntimos).

    Antes se lleva la cifra a 30 decimales: una división a 50 dígitos puede dejar 374.999…9 donde
    el valor exacto es 375, y ese ruido en el último dígito no debe cruzar un medio céntimo.
    """
    x = dec(x)
    if x.is_finite() and x.as_tuple().exponent < -30:
        x = x.quantize(_RUIDO, rounding=ROUND_HALF_UP, context=CONTEXTO)
    return x.quantize(Decimal(1).scaleb(-decimales), rounding=ROUND_HALF_UP, context=CONTEXTO)


def truncar(x: Decimal, decimales: int = 2) -> Decimal:
    """Trunca (hacia cero) a ``decimales``: 16,937.0877 → 16,937.08. Solo para reproducir cifras
    publicadas que se calcularon así; el motor siempre redondea HALF-UP."""
    return dec(x).quantize(Decimal(1).scaleb(-decimales), rounding=ROUND_DOWN, context=CONTEXTO)


def decimales_de(x) -> int:
    """Decimales con que se escribió una cifra (``Decimal('8.420')`` → 3; enteros → 0)."""
    if isinstance(x, Decimal):
        return max(0, -x.as_tuple().exponent)
    return 0


def div(a, b) -> Decimal:
    """a / b con el contexto exacto del motor; 0 si b es 0."""
    b = dec(b)
    if b == 0:
        return CERO
    return CONTEXTO.divide(dec(a), b)


def mul(*xs) -> Decimal:
    r = Decimal(1)
    for x in xs:
        r = CONTEXTO.multiply(r, dec(x))
    return r


def soles(x, decimales: int = 2) -> str:
    """Formato de moneda peruano: ``S/ 1,234.56``."""
    return f"S/ {redondear(x, decimales):,.{decimales}f}"


def num(x, decimales: int = 2) -> str:
    """Número con separador de miles y ``decimales`` fijos (HALF-UP)."""
    return f"{redondear(x, decimales):,.{decimales}f}"


def por_valor(f, *columnas) -> np.ndarray:
    """``[f(*fila) for fila in zip(*columnas)]``, como arreglo de objetos, calculando ``f``
    una vez por combinación distinta de valores.

    Los importes de un servicio repiten pocas cifras (una tasa por categoría de parques, por
    uso y zona de serenazgo, un porcentaje por condición): con 100 mil predios, redondear cada
    uno por separado tomaba ~8 s. Las combinaciones se buscan con ``pandas.factorize``; las
    filas con algún valor faltante (``None``, NaN) se calculan una por una.

    Solo para funciones cuyo resultado depende del valor y no de cómo está escrito, como las
    que terminan en :func:`redondear`: ``Decimal('1.0')`` y ``Decimal('1.00')`` son la misma
    clave (y también ``0`` y ``-0``).
    """
    import pandas as pd

    n = len(columnas[0])
    clave = np.zeros(n, dtype=np.int64)
    falta = np.zeros(n, dtype=bool)
    valores = []
    for c in columnas:
        v = np.asarray(c, dtype=object)
        codigo, unicos = pd.factorize(v)  # faltantes: -1
        falta |= codigo < 0
        clave = clave * (len(unicos) + 1) + (codigo + 1)
        clave = pd.factorize(clave)[0]  # compacta: la clave no crece más que n
        valores.append(v)
    primera = np.full(int(clave.max()) + 1 if n else 0, -1, dtype=np.int64)
    primera[clave[::-1]] = np.arange(n)[::-1]  # la primera fila de cada combinación
    calculado = np.empty(len(primera), dtype=object)
    for j, i in enumerate(primera):  # una vez por combinación
        if not falta[i]:
            calculado[j] = f(*(v[i] for v in valores))
    salida = calculado[clave]
    for i in np.flatnonzero(falta):
        salida[i] = f(*(v[i] for v in valores))
    return salida
