"""Barrido de calles: frontis ponderado por frecuencia → participación → tasa por metro lineal.

Fórmulas (Cuadros 09 y 10): ``(d) = frontis (b) × frecuencia (c)``; ``(e) = d / Σd``;
``(g) = (e) × costo``; ``tasa anual/ml (h) = (g) / (b)``; ``tasa mensual/ml = (h) / 12``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable, Mapping

from geo.tarifas.cuadro import Columna, Cuadro
from geo.tarifas.dinero import CERO, con_contexto, dec, div, mul


@con_contexto
def distribuir(costo_total: Decimal, sectores: Iterable[Mapping], meses: int = 12) -> Cuadro:
    """Tasa por metro lineal de frontis de cada sector de barrido.

    Parameters
    ----------
    costo_total : costo anual del servicio, S/.
    sectores : filas con ``sector``, ``predios``, ``frontis_ml`` (metros lineales) y
        ``frecuencia_semanal`` (días por semana).

    Returns
    -------
    Cuadro con ``ponderado_ml``, ``porcentaje`` (puntos porcentuales), ``costo_relativo`` (S/ año),
    ``tasa_anual_ml`` y ``tasa_mensual_ml`` (S/ por ml), sin redondear.
    """
    filas = [dict(f) for f in sectores]
    for f in filas:
        f["ponderado_ml"] = mul(f["frontis_ml"], f["frecuencia_semanal"])
    total_pond = sum((f["ponderado_ml"] for f in filas), CERO)
    for f in filas:
        part = div(f["ponderado_ml"], total_pond)
        f["porcentaje"] = part * 100
        f["costo_relativo"] = mul(part, costo_total)
        f["tasa_anual_ml"] = div(f["costo_relativo"], f["frontis_ml"])
        f["tasa_mensual_ml"] = div(f["tasa_anual_ml"], meses)
    totales = {
        "predios": sum(int(f.get("predios", 0)) for f in filas),
        "frontis_ml": sum((dec(f["frontis_ml"]) for f in filas), CERO),
        "ponderado_ml": total_pond,
        "porcentaje": sum((f["porcentaje"] for f in filas), CERO),
        "costo_relativo": sum((f["costo_relativo"] for f in filas), CERO),
    }
    return Cuadro("10", "Cálculo de la tasa de barrido de calles", COLUMNAS, filas, totales,
                  servicio="barrido")


COLUMNAS = [
    Columna("sector", "Sector"),
    Columna("predios", "Cantidad de predios (a)"),
    Columna("frontis_ml", "Longitud de frontis, ml (b)", 2),
    Columna("frecuencia_semanal", "Frecuencia, días/semana (c)"),
    Columna("ponderado_ml", "Frontis ponderado, ml (d)", 2, "(d) = (b) × (c)"),
    Columna("porcentaje", "Participación % (e)", 2, "(e) = (d) / Σ(d)"),
    Columna("costo_relativo", "Costo anual relativo S/ (g)", 2, "(g) = (e) × costo"),
    Columna("tasa_anual_ml", "Tasa anual S/ por ml (h)", 4, "(h) = (g) / (b)"),
    Columna("tasa_mensual_ml", "Tasa mensual S/ por ml (i)", 5, "(i) = (h) / 12"),
]
