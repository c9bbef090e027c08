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
* :mod:`~geo.cobranza.planes` — planes de pago (fraccionamiento) y su cumplimiento.
"""

from geo.cobranza.emision import ajustar, emitir
from geo.cobranza.estado import EstadoCuenta, estado_cuenta, liquidar, saldos
from geo.cobranza.mora import mora_por_zona, morosos, registrar_avisos
from geo.cobranza.pagos import extornar, importar_pagos_banco, pagar
from geo.cobranza.planes import crear_plan, planes
from geo.cobranza.registro import buscar_contribuyente, importar_contribuyentes, transferir

__all__ = [
           "EstadoCuenta",
           "ajustar",
           "buscar_contribuyente",
           "crear_plan",
           "emitir",
           "estado_cuenta",
           "extornar",
           "importar_contribuyentes",
           "importar_pagos_banco",
           "liquidar",
           "mora_por_zona",
           "morosos",
           "pagar",
           "planes",
           "registrar_avisos",
           "saldos",
           "transferir",
]
