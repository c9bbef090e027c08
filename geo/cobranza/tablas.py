"""Tablas de cobranza en el mismo GeoPackage del catastro, y cómo se escriben.

Toda escritura es UNA transacción SQLite por la conexión del almacén
(:meth:`geo.almacen.gpkg.AlmacenGPKG._transaccion`: ``BEGIN IMMEDIATE`` … ``COMMIT``, con
``rollback`` ante cualquier error): o se escribe todo o nada. Las tablas se crean dentro de
esa misma transacción la primera vez.

Las tablas llevan el prefijo ``cob_`` y NO se registran en ``gpkg_contents``: QGIS/GDAL no las
listan como capas (``cob_contribuyentes`` tiene datos personales). Montos en **céntimos**
(enteros). Nada se borra ni se reescribe: un extorno es un pago negativo que apunta al
extornado; un ajuste es una obligación nueva (una rebaja, una obligación negativa: la nota de
crédito, compensada por un pago interno de monto cero con ``origen = 'nota_credito'``; ver
:func:`geo.cobranza.pagos.aplicar_notas_credito`).
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from geo.errores import ErrorDatos, ErrorLectura

ARBITRIOS = ("barrido", "recoleccion", "parques", "serenazgo")
"""Los arbitrios, en el orden de la ordenanza."""
ORDEN_IMPUTACION = (*ARBITRIOS, "fraccionamiento")
"""Orden de imputación entre cuotas del mismo vencimiento (las de un plan de pagos, al final)."""

_SQL = """
create table if not exists cob_contribuyentes (
    codigo text primary key not null,
    nombre text not null,
    documento text unique,
    instante text not null
);
create table if not exists cob_titularidad (
    id integer primary key autoincrement not null,
    predio text not null,
    contribuyente text not null references cob_contribuyentes (codigo),
    rol text not null check (rol in ('propietario', 'copropietario', 'ocupante')),
    cuota text not null,             -- fracción decimal exacta ('0.5')
    desde text not null,             -- primer día en que debe (AAAA-MM-DD)
    hasta text,                      -- último día en que debe (nulo: vigente)
    expediente text,
    usuario text not null,
    instante text not null
);
create index if not exists idx_cob_tit_predio on cob_titularidad (predio);
create index if not exists idx_cob_tit_contrib on cob_titularidad (contribuyente);
create table if not exists cob_emisiones (
    id integer primary key autoincrement not null,
    anio integer not null,
    mes integer not null,
    tipo text not null check (tipo in ('emision', 'ajuste', 'plan')),
    expediente text,
    motivo text,                      -- por qué se ajusta (tipo 'ajuste')
    usuario text not null,
    instante text not null,
    obligaciones integer not null,
    total_cent integer not null
);
create unique index if not exists ux_cob_emision_mes on cob_emisiones (anio, mes)
    where tipo = 'emision';
create table if not exists cob_obligaciones (
    id integer primary key autoincrement not null,
    emision integer not null references cob_emisiones (id),
    predio text not null,
    contribuyente text,
    anio integer not null,
    mes integer not null,
    arbitrio text not null,           -- un arbitrio, o 'fraccionamiento' (plan de pagos)
    tipo text not null check (tipo in ('emision', 'ajuste', 'plan')),
    monto_cent integer not null,      -- negativo: nota de crédito (ajuste hacia abajo)
    vencimiento text not null,
    barrio text,
    sector text
);
create unique index if not exists ux_cob_obligacion on cob_obligaciones (predio, anio, mes, arbitrio)
    where tipo = 'emision';
create index if not exists idx_cob_oblig_predio on cob_obligaciones (predio);
create table if not exists cob_pagos (
    id integer primary key autoincrement not null,
    predio text not null,
    fecha text not null,
    monto_cent integer not null,
    origen text not null,            -- 'caja', el banco del archivo, 'extorno',
                                     -- 'fraccionamiento' o 'nota_credito' (monto 0)
    operacion text,                  -- número de operación (único por origen)
    extorna integer references cob_pagos (id),
    motivo text,
    usuario text not null,
    instante text not null
);
create unique index if not exists ux_cob_pago_operacion on cob_pagos (origen, operacion)
    where operacion is not null;
create unique index if not exists ux_cob_pago_extorno on cob_pagos (extorna)
    where extorna is not null;
create index if not exists idx_cob_pagos_predio on cob_pagos (predio);
create table if not exists cob_aplicaciones (
    id integer primary key autoincrement not null,
    pago integer not null references cob_pagos (id),
    obligacion integer not null references cob_obligaciones (id),
    fecha text not null,
    devengado_cent integer not null,  -- interés del tramo que cerró este pago (redondeado)
    interes_cent integer not null,    -- pagado a interés
    capital_cent integer not null     -- pagado al insoluto
);
create index if not exists idx_cob_aplic_oblig on cob_aplicaciones (obligacion);
create table if not exists cob_avisos (
    id integer primary key autoincrement not null,
    predio text not null,
    fecha text not null,
    entregado_por text not null,
    observacion text,
    usuario text not null,
    instante text not null
);
create index if not exists idx_cob_avisos_predio on cob_avisos (predio);
create table if not exists cob_planes (
    id integer primary key autoincrement not null,
    predio text not null,
    fecha text not null,
    deuda_cent integer not null,      -- deuda vencida consolidada (insoluto + interés)
    cuotas integer not null,
    tasa_mensual_pct text not null,   -- interés del fraccionamiento, % mensual
    pago integer not null references cob_pagos (id),        -- la conversión
    emision integer not null references cob_emisiones (id), -- las cuotas del plan
    expediente text,
    usuario text not null,
    instante text not null
);
create index if not exists idx_cob_planes_predio on cob_planes (predio);
"""


@contextlib.contextmanager
def transaccion(ruta: str | Path):
    """Una transacción de escritura sobre el almacén (todo o nada), con las tablas creadas."""
    from geo.almacen.gpkg import AlmacenGPKG

    ruta = Path(ruta)
    if str(ruta).startswith(("postgresql:", "postgres:", "PG:")):
        raise ErrorDatos("La cobranza aún solo funciona sobre un GeoPackage.", "COBRANZA_POSTGIS")
    almacen = AlmacenGPKG(ruta)
    with almacen._transaccion() as con:
        for sentencia in _SQL.split(";"):
            if sentencia.strip():
                con.execute(sentencia)
        yield con


@contextlib.contextmanager
def lectura(ruta: str | Path):
    """Conexión para leer (las tablas pueden no existir aún: ver :func:`hay_cobranza`)."""
    from geo.almacen.gpkg import conectar

    ruta = Path(ruta)
    if not ruta.exists():
        raise ErrorLectura(f"No existe el almacén {ruta}. Revise la ruta.", "ARCHIVO_NO_EXISTE")
    with contextlib.closing(conectar(ruta, solo_lectura=True)) as con:
        yield con


def hay_cobranza(con: sqlite3.Connection) -> bool:
    return con.execute("select 1 from sqlite_master where name = 'cob_obligaciones'"
                       ).fetchone() is not None


def predios_existentes(con: sqlite3.Connection, codigos) -> set[str]:
    """Los códigos que están en la capa de predios (vigentes)."""
    codigos = list(dict.fromkeys(codigos))
    hallados: set[str] = set()
    for i in range(0, len(codigos), 500):
        t = codigos[i:i + 500]
        hallados |= {r[0] for r in con.execute(
            f'select codigo from predios where codigo in ({",".join("?" * len(t))})', t)}
    return hallados
