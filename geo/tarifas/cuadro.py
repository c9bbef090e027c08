"""Un cuadro del Anexo: filas con sus columnas, fila de totales y la línea de fórmulas."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd


@dataclass(frozen=True)
class Columna:
    clave: str
    titulo: str
    decimales: int | None = None  # None = texto o entero
    formula: str = ""  # "(d) = (b) * (c)", como en la ordenanza


@dataclass
class Cuadro:
    """Un cuadro recalculado. Los valores son Decimal sin redondear; se redondean al mostrar."""

    numero: str  # "10", "22"…
    titulo: str
    columnas: list[Columna]
    filas: list[dict]
    totales: dict = field(default_factory=dict)
    nota: str = ""
    servicio: str = ""  # barrido | recoleccion | parques | serenazgo (agrupa el informe)

    def como_dataframe(self, redondeado: bool = True) -> pd.DataFrame:
        filas = list(self.filas)
        if self.totales:
            filas = filas + [{**{self.columnas[0].clave: "Total"}, **self.totales}]
        datos = []
        for f in filas:
            fila = {}
            for c in self.columnas:
                v = f.get(c.clave, "")
                if redondeado and isinstance(v, Decimal) and c.decimales is not None:
                    from geo.tarifas.dinero import redondear

                    v = redondear(v, c.decimales)
                fila[c.titulo] = v
            datos.append(fila)
        return pd.DataFrame(datos, columns=[c.titulo for c in self.columnas])

    @property
    def archivo(self) -> str:
        """Nombre del CSV: ``cuadro_05.csv``, ``cuadro_22.csv`` (``cuadro_20C.csv`` si lleva letra)."""
        n = self.numero
        return f"cuadro_{int(n):02d}.csv" if n.isdigit() else f"cuadro_{n.zfill(3)}.csv"

    @property
    def linea_formulas(self) -> str:
        return "   ".join(c.formula for c in self.columnas if c.formula)
