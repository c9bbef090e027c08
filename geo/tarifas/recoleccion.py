"""Recolección de residuos sólidos: zonas por t/día, usos por kg/predio/día, tasa por m².

Fórmulas (Cuadros 19 a 23): la zona recibe ``costo × t/día de la zona / Σ t/día``; dentro de la
zona cada uso recibe su parte de ``predios × kg/predio/día × 365 / 1000`` (t/año); la tasa anual
por m² es ``costo del uso / área construida del uso`` y la mensual, ``/ 12``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable, Mapping

from geo.tarifas.cuadro import Columna, Cuadro
from geo.tarifas.dinero import CERO, con_contexto, dec, div, mul


@con_contexto
def distribuir_zonas(costo_total: Decimal, zonas: Iterable[Mapping]) -> Cuadro:
    """Reparte el costo entre zonas según su generación (``generacion_t_dia``)."""
    filas = [dict(z) for z in zonas]
    total = sum((dec(f["generacion_t_dia"]) for f in filas), CERO)
    for f in filas:
        part = div(f["generacion_t_dia"], total)
        f["porcentaje"] = part * 100
        f["costo_relativo"] = mul(part, costo_total)
    totales = {
        "predios": sum(int(f.get("predios", 0)) for f in filas),
        "generacion_t_dia": total,
        "porcentaje": sum((f["porcentaje"] for f in filas), CERO),
        "costo_relativo": sum((f["costo_relativo"] for f in filas), CERO),
    }
    return Cuadro("19", "Distribución del costo por zona", COLUMNAS_ZONAS, filas, totales,
                  servicio="recoleccion")


@con_contexto
def distribuir_usos(costo_zona: Decimal, usos: Iterable[Mapping], meses: int = 12,
                    zona: str = "") -> Cuadro:
    """Costo y tasa por m² de cada uso dentro de una zona.

    Parameters
    ----------
    usos : filas con ``uso`` (código SNC), ``predios``, ``kg_predio_dia`` y ``area_m2``
        (área construida total del uso en la zona, m²).

    Returns
    -------
    Cuadro con ``kg_dia``, ``t_anio``, ``porcentaje``, ``costo_relativo`` (S/ año),
    ``tasa_anual_m2`` y ``tasa_mensual_m2`` (S/ por m²), sin redondear. Un uso con costo pero sin
    área construida no tiene tasa (``tasa_anual_m2`` = 0) y su costo queda sin distribuir.
    """
    filas = [dict(u) for u in usos]
    for f in filas:
        f["kg_dia"] = mul(f["predios"], f["kg_predio_dia"])
        f["t_anio"] = div(mul(f["kg_dia"], 365), 1000)
    total_t = sum((f["t_anio"] for f in filas), CERO)
    for f in filas:
        part = div(f["t_anio"], total_t)
        f["porcentaje"] = part * 100
        f["costo_relativo"] = mul(part, costo_zona)
        f["tasa_anual_m2"] = div(f["costo_relativo"], f.get("area_m2", 0))
        f["tasa_mensual_m2"] = div(f["tasa_anual_m2"], meses)
    totales = {
        "predios": sum(int(f["predios"]) for f in filas),
        "kg_dia": sum((f["kg_dia"] for f in filas), CERO),
        "t_anio": total_t,
        "porcentaje": sum((f["porcentaje"] for f in filas), CERO),
        "costo_relativo": sum((f["costo_relativo"] for f in filas), CERO),
        "area_m2": sum((dec(f.get("area_m2", 0)) for f in filas), CERO),
    }
    return Cuadro("", f"Zona {zona}: generación, costo y tasa por uso", COLUMNAS_USOS, filas,
                  totales, servicio="recoleccion")


COLUMNAS_ZONAS = [
    Columna("zona", "Zona"),
    Columna("predios", "Cantidad de predios (a)"),
    Columna("generacion_t_dia", "Generación t/día (c)", 3),
    Columna("porcentaje", "Participación % (d)", 2, "(d) = (c) / Σ(c)"),
    Columna("costo_relativo", "Costo relativo S/ (f)", 2, "(f) = (d) × costo"),
]

COLUMNAS_USOS = [
    Columna("uso", "Uso (SNC)"),
    Columna("predios", "Cantidad de predios (a)"),
    Columna("kg_predio_dia", "kg/predio/día (b)", 3),
    Columna("kg_dia", "kg/día (c)", 3, "(c) = (a) × (b)"),
    Columna("t_anio", "t/año (d)", 3, "(d) = (c) × 365 / 1000"),
    Columna("porcentaje", "Participación % (e)", 2, "(e) = (d) / Σ(d)"),
    Columna("costo_relativo", "Costo anual relativo S/ (g)", 2, "(g) = (e) × costo de la zona"),
    Columna("area_m2", "Área construida m² (h)", 2),
    Columna("tasa_anual_m2", "Tasa anual S/ por m² (i)", 4, "(i) = (g) / (h)"),
    Columna("tasa_mensual_m2", "Tasa mensual S/ por m² (j)", 5, "(j) = (i) / 12"),
]


def vista_generacion(cuadro_usos: Cuadro, numero: str, zona: str) -> Cuadro:
    """Cuadros 20/21: generación y costo por uso de una zona (sin las tasas)."""
    claves = ("uso", "predios", "kg_predio_dia", "kg_dia", "t_anio", "porcentaje",
              "costo_relativo")
    cols = [c for c in COLUMNAS_USOS if c.clave in claves]
    return Cuadro(numero, f"Zona {zona}: generación y costo por uso", cols,
                  [{k: f[k] for k in claves} for f in cuadro_usos.filas],
                  {k: v for k, v in cuadro_usos.totales.items() if k in claves},
                  servicio="recoleccion")


def vista_tasas(cuadro_usos: Cuadro, numero: str, zona: str) -> Cuadro:
    """Cuadros 22/23: costo del uso entre su área construida → tasa por m² de una zona."""
    claves = ("uso", "predios", "area_m2", "costo_relativo", "tasa_anual_m2", "tasa_mensual_m2")
    cols = [Columna("uso", "Uso (SNC)"),
            Columna("predios", "Cantidad de predios"),
            Columna("area_m2", "Área construida m² (b)", 2),
            Columna("costo_relativo", "Costo anual relativo S/ (c)", 2),
            Columna("tasa_anual_m2", "Tasa anual S/ por m² (d)", 4, "(d) = (c) / (b)"),
            Columna("tasa_mensual_m2", "Tasa mensual S/ por m² (e)", 5, "(e) = (d) / 12")]
    return Cuadro(numero, f"Zona {zona}: cálculo de la tasa de recolección", cols,
                  [{k: f[k] for k in claves} for f in cuadro_usos.filas],
                  {k: v for k, v in cuadro_usos.totales.items() if k in claves},
                  servicio="recoleccion")
