"""Cobranza de arbitrios: contribuyentes, emisión mensual, pagos, estado de cuenta y mora.

Todo vive en el mismo GeoPackage del catastro (tablas ``cob_*``, ver
:mod:`geo.cobranza.tablas`), cada escritura en una sola transacción. Reglas de la Ordenanza
466-2019-MPO: Art. 4–5 (quién debe y desde cuándo), Art. 6 (mensual, vence el último día hábil,
luego TIM). Módulos:

* :mod:`~geo.cobranza.calendario` — último día hábil (feriados en ``geo/datos/feriados_peru.toml``).
* :mod:`~geo.cobranza.intereses` — TIM por períodos (``geo/datos/tim.toml``) y la regla de interés.
* :mod:`~geo.cobranza.registro` — contribuyentes y titularidad.
* :mod:`~geo.cobranza.emision` — emisión (una vez por mes) y ajustes.
* :mod:`~geo.cobranza.pagos` — pagos en caja, archivo del banco, imputación, extornos.
* :mod:`~geo.cobranza.estado` — estado de cuenta (texto y HTML) y saldos.
* :mod:`~geo.cobranza.mora` — mora por barrio/sector, avisos de cobranza, morosos.
* :mod:`~geo.cobranza.fraccionamiento` — planes de pago (fraccionamiento) y su cumplimiento.
"""

# Carga perezosa (PEP 562): la CLI importa geo.cobranza.ordenes al armar su parser y no debe
# pagar la carga de pandas y de estos módulos en cada orden (~0,6 s).
_DE_DONDE = {
    "ajustar": "emision", "emitir": "emision",
    "EstadoCuenta": "estado", "estado_cuenta": "estado", "liquidar": "estado", "saldos": "estado",
    "mora_por_zona": "mora", "morosos": "mora", "registrar_avisos": "mora",
    "extornar": "pagos", "importar_pagos_banco": "pagos", "pagar": "pagos",
    "crear_plan": "fraccionamiento", "planes": "fraccionamiento",
    "buscar_contribuyente": "registro", "importar_contribuyentes": "registro",
    "transferir": "registro",
}

__all__ = sorted(_DE_DONDE)


def __getattr__(nombre: str):
    if nombre not in _DE_DONDE:
        raise AttributeError(f"module 'geo.cobranza' has no attribute '{nombre}'")
    import importlib

    valor = getattr(importlib.import_module(f"geo.cobranza.{_DE_DONDE[nombre]}"), nombre)
    globals()[nombre] = valor
    return valor


def __dir__():
    return sorted(set(globals()) | set(_DE_DONDE))
