"""Inafectaciones (Art. 7) y exoneraciones (Art. 8): qué parte de cada arbitrio no se cobra.

Dos cosas distintas, como en la ordenanza:

* **No afectación** por las características del predio (p. ej. terreno sin construir, Art. 7.4):
  el predio queda fuera del ámbito del servicio — no se cuenta en la distribución del costo.
* **Inafectación o exoneración** por la condición del propietario (municipalidad, bomberos, …):
  el predio sí entra en la distribución (su parte del costo existe), pero un porcentaje de su
  arbitrio no se cobra; ese monto exonerado se informa, no se reparte entre los demás.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from geo.ordenanza import Ordenanza


def no_afecto(ordenanza: Ordenanza, predios: pd.DataFrame, servicio: str) -> pd.Series:
    """True para los predios que una regla de ``[inafectaciones]`` saca del ámbito de ``servicio``."""
    res = pd.Series(False, index=predios.index)
    reglas = [r for r in ordenanza.inafectaciones if servicio in r.servicios]
    if not reglas:
        return res
    area = pd.to_numeric(predios["area_construida_m2"], errors="coerce").fillna(0)
    uso = predios["uso"].astype(int)
    for regla in reglas:
        res |= uso.isin(regla.usos) & (area <= float(regla.area_construida_max_m2))
    return res


def porcentaje_exonerado(ordenanza: Ordenanza, condiciones: pd.Series, servicio: str) -> pd.Series:
    """Porcentaje (0–100, Decimal) que no se cobra de ``servicio`` según la condición de cada predio."""
    tabla = {c: e.porcentaje.get(servicio, Decimal(0)) for c, e in ordenanza.exoneraciones.items()}
    # las claves son condiciones de geo/esquema.py (texto no vacío): None, NaN o "" no están
    return condiciones.map(tabla).fillna(Decimal(0)).astype(object)


def condiciones_desconocidas(ordenanza: Ordenanza, condiciones: pd.Series) -> list[str]:
    """Condiciones presentes en los datos que la ordenanza no define (se cobran completas)."""
    vistos = {c for c in condiciones.dropna().unique() if isinstance(c, str) and c}
    return sorted(vistos - set(ordenanza.exoneraciones))
