"""Parques y jardines: predios × índice de disfrute → participación → tasa por predio.

Fórmulas (Cuadro 32): ``(c) = predios (a) × índice (b)``; ``(d) = (c) / Σ(c)``;
``(f) = (d) × costo``; ``tasa anual (g) = (f) / (a)``; ``tasa mensual (h) = (g) / 12``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable, Mapping

from geo.tarifas.cuadro import Columna, Cuadro
from geo.tarifas.dinero import CERO, con_contexto, div, mul


@con_contexto
def distribuir(costo_total: Decimal, categorias: Iterable[Mapping], meses: int = 12) -> Cuadro:
    """Tasa por predio de cada categoría de ubicación.

    Parameters
    ----------
    categorias : filas con ``categoria``, ``predios`` e ``indice_disfrute``.
    """
    filas = [dict(c) for c in categorias]
    for f in filas:
        f["ponderado"] = mul(f["predios"], f["indice_disfrute"])
    total = sum((f["ponderado"] for f in filas), CERO)
    for f in filas:
        part = div(f["ponderado"], total)
        f["porcentaje"] = part * 100
        f["costo_relativo"] = mul(part, costo_total)
        f["tasa_anual"] = div(f["costo_relativo"], f["predios"])
        f["tasa_mensual"] = div(f["tasa_anual"], meses)
    totales = {
        "predios": sum(int(f["predios"]) for f in filas),
        "ponderado": total,
        "porcentaje": sum((f["porcentaje"] for f in filas), CERO),
        "costo_relativo": sum((f["costo_relativo"] for f in filas), CERO),
    }
    return Cuadro("32", "Cálculo de la tasa de parques y jardines", COLUMNAS, filas, totales,
                  servicio="parques")


COLUMNAS = [
    Columna("categoria", "Ubicación del predio"),
    Columna("predios", "Cantidad de predios (a)"),
    Columna("indice_disfrute", "Índice de disfrute (b)", 2),
    Columna("ponderado", "Disfrute ponderado (c)", 2, "(c) = (a) × (b)"),
    Columna("porcentaje", "Participación % (d)", 2, "(d) = (c) / Σ(c)"),
    Columna("costo_relativo", "Costo anual según ubicación S/ (f)", 2, "(f) = (d) × costo"),
    Columna("tasa_anual", "Tasa anual por predio S/ (g)", 2, "(g) = (f) / (a)"),
    Columna("tasa_mensual", "Tasa mensual por predio S/ (h)", 4, "(h) = (g) / 12"),
]
