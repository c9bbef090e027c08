"""Serenazgo: incidencias por uso → participación → tasa por predio (por zona de peligrosidad).

Fórmulas (Cuadro 47): ``(c) = incidencias (b) / Σ(b)``; ``(e) = (c) × costo``;
``tasa anual (f) = (e) / predios (a)``; ``tasa mensual (g) = (f) / 12``. Con varias zonas, el
costo de cada uso se reparte entre ellas según ``predios × índice de peligrosidad``, de modo que
la tasa de la zona z es ``(e) × índice_z / Σ_z(predios_z × índice_z)``; con una sola zona de índice
1 se reduce a la fórmula publicada.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable, Mapping

from geo.tarifas.cuadro import Columna, Cuadro
from geo.tarifas.dinero import CERO, con_contexto, div, mul


@con_contexto
def distribuir(costo_total: Decimal, filas_uso_zona: Iterable[Mapping],
               incidencias_por_uso: Mapping[int, int], meses: int = 12
               ) -> tuple[Cuadro, dict[tuple[int, str], Decimal]]:
    """Tasa anual por predio para cada (uso, zona).

    Parameters
    ----------
    filas_uso_zona : filas con ``uso``, ``zona``, ``predios`` e ``indice_peligrosidad``.
    incidencias_por_uso : incidencias registradas por uso SNC (dato de la ordenanza).

    Returns
    -------
    (cuadro por uso, {(uso, zona): tasa anual por predio sin redondear}). Un uso con incidencias
    pero sin predios no tiene tasa y su costo queda sin distribuir.
    """
    filas_uz = [dict(f) for f in filas_uso_zona]
    usos = sorted(set(incidencias_por_uso) | {int(f["uso"]) for f in filas_uz})
    total_inc = sum(int(incidencias_por_uso.get(u, 0)) for u in usos)
    filas, tasas = [], {}
    for u in usos:
        inc = int(incidencias_por_uso.get(u, 0))
        part = div(inc, total_inc)
        costo_uso = mul(part, costo_total)
        de_uso = [f for f in filas_uz if int(f["uso"]) == u]
        predios = sum(int(f["predios"]) for f in de_uso)
        peso = sum((mul(f["predios"], f.get("indice_peligrosidad", 1)) for f in de_uso), CERO)
        for f in de_uso:
            tasas[(u, str(f["zona"]))] = div(mul(costo_uso, f.get("indice_peligrosidad", 1)), peso)
        tasa_anual = div(costo_uso, predios)
        filas.append({"uso": u, "predios": predios, "incidencias": inc, "porcentaje": part * 100,
                      "costo_relativo": costo_uso, "tasa_anual": tasa_anual,
                      "tasa_mensual": div(tasa_anual, meses)})
    totales = {
        "predios": sum(f["predios"] for f in filas),
        "incidencias": total_inc,
        "porcentaje": sum((f["porcentaje"] for f in filas), CERO),
        "costo_relativo": sum((f["costo_relativo"] for f in filas), CERO),
    }
    return (Cuadro("47", "Distribución de costos de serenazgo", COLUMNAS, filas, totales,
                   servicio="serenazgo"), tasas)


COLUMNAS = [
    Columna("uso", "Uso (SNC)"),
    Columna("predios", "Cantidad de predios (a)"),
    Columna("incidencias", "Incidencias por uso (b)"),
    Columna("porcentaje", "Participación % (c)", 2, "(c) = (b) / Σ(b)"),
    Columna("costo_relativo", "Costo anual por uso S/ (e)", 2, "(e) = (c) × costo"),
    Columna("tasa_anual", "Tasa anual por predio S/ (f)", 2, "(f) = (e) / (a)"),
    Columna("tasa_mensual", "Tasa mensual por predio S/ (g)", 4, "(g) = (f) / 12"),
]


