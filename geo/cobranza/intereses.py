"""Interés moratorio de los arbitrios con la TIM vigente (Ordenanza 466-2019-MPO, Art. 6).

Regla (documentada en ``geo/datos/tim.toml``)
---------------------------------------------
Interés simple diario sobre el **insoluto** (lo que falta pagar del monto emitido)::

    interés = insoluto × Σ_{d en (desde, hasta]} TIM(d) / 30 / 100

* ``TIM(d)``: TIM mensual en % vigente el día ``d`` (la tabla de ``tim.toml``: por períodos).
* Corre desde el día siguiente al vencimiento; un pago lo corta: el tramo siguiente empieza el
  día del pago (con el insoluto que quedó).
* Se redondea al céntimo (mitad hacia arriba) **al final de cada tramo**: en cada pago que
  toca la cuota y en la fecha del estado de cuenta. Nunca se capitaliza (el interés no genera
  interés).
* Un pago se imputa primero al interés de la cuota y luego al insoluto (Código Tributario,
  Art. 31), de la cuota más antigua a la más reciente.

Montos en céntimos (enteros): exactos, sin flotantes.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path

from geo.errores import ErrorDatos, ErrorLectura

RUTA_TIM = Path(__file__).resolve().parent.parent / "datos" / "tim.toml"


@dataclass(frozen=True)
class TablaTIM:
    """TIM mensual (%) por períodos: ``((desde, tim), …)`` ordenados; cada uno rige hasta el
    día anterior al siguiente."""

    periodos: tuple[tuple[date, Decimal], ...]

    def __post_init__(self):
        if not self.periodos:
            raise ErrorDatos("La tabla de TIM está vacía.", "TIM_VACIA")
        fechas = [p[0] for p in self.periodos]
        if fechas != sorted(set(fechas)):
            raise ErrorDatos("Los períodos de la TIM deben estar en orden y sin fechas "
                             "repetidas.", "TIM_DESORDENADA")

    def tim(self, dia: date) -> Decimal:
        """TIM mensual (%) vigente el día ``dia``."""
        if dia < self.periodos[0][0]:
            raise ErrorDatos(f"No hay TIM para el {dia}: la tabla empieza el "
                             f"{self.periodos[0][0]}. Agregue el período en tim.toml.",
                             "TIM_FALTANTE")
        return [t for d, t in self.periodos if d <= dia][-1]

    def suma_dias(self, desde: date, hasta: date) -> Decimal:
        """Σ TIM(d) (en % mensual) para los días d en (desde, hasta]; 0 si hasta ≤ desde."""
        if hasta <= desde:
            return Decimal(0)
        self.tim(date.fromordinal(desde.toordinal() + 1))  # ¿hay TIM desde el primer día?
        total = Decimal(0)
        limites = [*self.periodos[1:], (date.max, None)]
        for (ini, t), (fin, _) in zip(self.periodos, limites, strict=True):
            # días del período [ini, fin) dentro de (desde, hasta]
            a = max(ini.toordinal() - 1, desde.toordinal())
            b = min(fin.toordinal() - 1 if fin != date.max else hasta.toordinal(),
                    hasta.toordinal())
            if b > a:
                total += t * (b - a)
        return total


def redondear(valor: Decimal) -> int:
    """Céntimos, mitad hacia arriba."""
    return int(valor.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def interes_cent(insoluto_cent: int, desde: date, hasta: date, tabla: TablaTIM) -> int:
    """Interés (céntimos) de un tramo: insoluto × Σ TIM/3000 en (desde, hasta], redondeado."""
    if insoluto_cent <= 0 or hasta <= desde:
        return 0
    return redondear(Decimal(insoluto_cent) * tabla.suma_dias(desde, hasta) / 3000)


@lru_cache(maxsize=4)
def cargar_tim(ruta: str | Path = RUTA_TIM) -> TablaTIM:
    """Lee ``tim.toml``."""
    try:
        datos = tomllib.loads(Path(ruta).read_text(encoding="utf-8"))
        periodos = tuple((p["desde"], Decimal(str(p["tim_mensual_pct"])))
                         for p in datos["periodos"])
    except (OSError, KeyError, TypeError, ArithmeticError, tomllib.TOMLDecodeError) as e:
        raise ErrorLectura(f"No se pudo leer la tabla de TIM {ruta} ({e}).",
                           "TIM_ILEGIBLE") from e
    if any(not isinstance(d, date) or t < 0 for d, t in periodos):
        raise ErrorLectura(f"{ruta}: cada período necesita 'desde = AAAA-MM-DD' y una TIM ≥ 0.",
                           "TIM_ILEGIBLE")
    return TablaTIM(periodos)
