"""Registro de contribuyentes y titularidad de los predios (Ordenanza 466-2019-MPO, Art. 4–5).

Un contribuyente (``C000001``…) tiene nombre y documento (DNI/RUC): datos personales que solo
viven en ``cob_contribuyentes`` y nunca salen en mapas ni tablas publicadas. La titularidad
une contribuyentes y predios con rol (``propietario``, ``copropietario`` con su ``cuota``, u
``ocupante`` cuando no se conoce al propietario, Art. 4.3) y vigencia ``desde``/``hasta``.
Una transferencia cierra la titularidad vigente al fin del mes de la transferencia y abre la
nueva el primer día del mes siguiente (Art. 5). Nada se borra.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from geo.almacen.base import instante_texto
from geo.cobranza.calendario import primer_dia_mes_siguiente
from geo.cobranza.tablas import hay_cobranza, lectura, predios_existentes, transaccion
from geo.errores import ErrorDatos

ROLES = ("propietario", "copropietario", "ocupante")


def _nuevo_codigo(con) -> str:
    n = con.execute("select count(*) from cob_contribuyentes").fetchone()[0]
    return f"C{n + 1:06d}"


def _contribuyente(con, nombre: str, documento: str | None, instante: str) -> str:
    """Código del contribuyente con ese documento (lo crea si no existe)."""
    if documento:
        fila = con.execute("select codigo from cob_contribuyentes where documento = ?",
                           (documento,)).fetchone()
        if fila:
            return fila[0]
    codigo = _nuevo_codigo(con)
    con.execute("insert into cob_contribuyentes values (?, ?, ?, ?)",
                (codigo, nombre, documento or None, instante))
    return codigo


def importar_contribuyentes(ruta: str | Path, desde: str | date, usuario: str) -> int:
    """Crea el registro desde las columnas ``contribuyente``/``documento`` de los predios.

    Un mismo documento es un mismo contribuyente. Cada predio con contribuyente queda con un
    propietario (cuota 1) desde ``desde``. Solo se hace una vez (si ya hay titularidades,
    error): después, los cambios de titular van por :func:`transferir`. Devuelve cuántas
    titularidades creó.
    """
    desde = _fecha(desde)
    instante = instante_texto()
    with transaccion(ruta) as con:
        if con.execute("select count(*) from cob_titularidad").fetchone()[0]:
            raise ErrorDatos("El registro de contribuyentes ya fue importado; registre los "
                             "cambios de titular con una transferencia.", "REGISTRO_EXISTENTE")
        cols = {r[1] for r in con.execute('pragma table_info("predios")')}
        if "contribuyente" not in cols:
            raise ErrorDatos("Los predios no tienen la columna 'contribuyente': no hay de dónde "
                             "importar el registro.", "COLUMNA_FALTANTE")
        doc = "documento" if "documento" in cols else "null"
        filas = con.execute(f"select codigo, contribuyente, {doc} from predios "
                            "where contribuyente is not null and trim(contribuyente) != '' "
                            "order by codigo").fetchall()
        por_doc: dict[str, str] = {}
        contrib, tit = [], []
        for predio, nombre, doc in filas:
            doc = str(doc).strip() if doc is not None and str(doc).strip() else None
            clave = doc or f"nombre:{nombre.strip()}:{predio}"
            if clave not in por_doc:
                por_doc[clave] = f"C{len(por_doc) + 1:06d}"
                contrib.append((por_doc[clave], nombre.strip(), doc, instante))
            tit.append((predio, por_doc[clave], "propietario", "1", desde.isoformat(), None,
                        None, usuario, instante))
        con.executemany("insert into cob_contribuyentes values (?, ?, ?, ?)", contrib)
        con.executemany("insert into cob_titularidad (predio, contribuyente, rol, cuota, desde, "
                        "hasta, expediente, usuario, instante) values (?,?,?,?,?,?,?,?,?)", tit)
    return len(tit)


def transferir(ruta: str | Path, predio: str, nuevos: list[dict], fecha: str | date,
               expediente: str, usuario: str) -> None:
    """Cambio de titular de ``predio`` el día ``fecha`` (Art. 5: debe desde el mes siguiente).

    ``nuevos``: ``[{"nombre", "documento", "rol", "cuota"}]``; las cuotas de los propietarios
    y copropietarios suman 1; ``ocupante`` (propietario desconocido, Art. 4.3) va solo.
    """
    fecha = _fecha(fecha)
    inicio = primer_dia_mes_siguiente(fecha)
    problemas = []
    cuotas = []
    for i, n in enumerate(nuevos, 1):
        if n.get("rol", "propietario") not in ROLES:
            problemas.append(f"titular {i}: rol '{n.get('rol')}' inválido ({', '.join(ROLES)})")
        try:
            cuotas.append(Decimal(str(n.get("cuota", "1"))))
        except InvalidOperation:
            problemas.append(f"titular {i}: cuota '{n.get('cuota')}' no es un número")
        if not str(n.get("nombre") or "").strip():
            problemas.append(f"titular {i}: falta el nombre")
    if not problemas and (not nuevos or sum(cuotas) != 1 or any(c <= 0 for c in cuotas)):
        problemas.append(f"las cuotas deben ser positivas y sumar 1 (suman {sum(cuotas)})")
    if problemas:
        raise ErrorDatos("Transferencia no registrada: " + "; ".join(problemas) + ".",
                         "TRANSFERENCIA_INVALIDA")
    instante = instante_texto()
    with transaccion(ruta) as con:
        if not predios_existentes(con, [predio]):
            raise ErrorDatos(f"No existe el predio {predio}. Revise el código.",
                             "PREDIO_INEXISTENTE")
        con.execute("update cob_titularidad set hasta = ? where predio = ? and hasta is null "
                    "and desde < ?", ((inicio - timedelta(days=1)).isoformat(), predio,
                                      inicio.isoformat()))
        for n, c in zip(nuevos, cuotas, strict=True):
            codigo = _contribuyente(con, str(n["nombre"]).strip(),
                                    str(n.get("documento") or "").strip() or None, instante)
            con.execute("insert into cob_titularidad (predio, contribuyente, rol, cuota, desde, "
                        "hasta, expediente, usuario, instante) values (?,?,?,?,?,?,?,?,?)",
                        (predio, codigo, n.get("rol", "propietario"), str(c),
                         inicio.isoformat(), None, expediente, usuario, instante))


def titulares(ruta: str | Path, fecha: str | date) -> pd.DataFrame:
    """Titular principal de cada predio el día ``fecha`` (mayor cuota; a igual cuota, el de
    código menor): columnas ``predio``, ``contribuyente``."""
    with lectura(ruta) as con:
        if not hay_cobranza(con):
            return pd.DataFrame(columns=["predio", "contribuyente"])
        return titulares_con(con, fecha)


def titulares_con(con, fecha: str | date) -> pd.DataFrame:
    """:func:`titulares` con una conexión abierta (p. ej. dentro de una transacción)."""
    fecha = _fecha(fecha).isoformat()
    filas = con.execute("select predio, contribuyente, cuota from cob_titularidad "
                        "where desde <= ? and (hasta is null or hasta >= ?)",
                        (fecha, fecha)).fetchall()
    t = pd.DataFrame(filas, columns=["predio", "contribuyente", "cuota"])
    if t.empty:
        return t[["predio", "contribuyente"]]
    t["cuota"] = t["cuota"].map(Decimal)
    t = t.sort_values(["predio", "cuota", "contribuyente"], ascending=[True, False, True])
    return t.drop_duplicates("predio")[["predio", "contribuyente"]].reset_index(drop=True)


def buscar_contribuyente(ruta: str | Path, clave: str) -> dict:
    """Contribuyente por código (``C000123``) o documento, con sus predios (vigentes y
    pasados). Uso interno: lleva datos personales."""
    with lectura(ruta) as con:
        fila = None
        if hay_cobranza(con):
            fila = con.execute("select codigo, nombre, documento from cob_contribuyentes "
                               "where codigo = ? or documento = ?", (clave, clave)).fetchone()
        if fila is None:
            raise ErrorDatos(f"No hay contribuyente con código o documento '{clave}'. Revise "
                             "el dato (¿se importó el registro?).", "CONTRIBUYENTE_INEXISTENTE")
        predios = con.execute("select predio, rol, cuota, desde, hasta, expediente from "
                              "cob_titularidad where contribuyente = ? order by predio, desde",
                              (fila[0],)).fetchall()
    return {"codigo": fila[0], "nombre": fila[1], "documento": fila[2],
            "predios": [dict(zip(("predio", "rol", "cuota", "desde", "hasta", "expediente"), p,
                                 strict=True)) for p in predios]}


def texto_contribuyente(c: dict) -> str:
    lineas = [f"Contribuyente {c['codigo']}: {c['nombre']} (documento {c['documento'] or '—'})",
              f"{'predio':<22}{'rol':<15}{'cuota':>7}  {'desde':<11} hasta"]
    for p in c["predios"]:
        lineas.append(f"{p['predio']:<22}{p['rol']:<15}{p['cuota']:>7}  {p['desde']:<11} "
                      f"{p['hasta'] or 'vigente'}")
    return "\n".join(lineas)


def _fecha(valor) -> date:
    if isinstance(valor, date):
        return valor
    try:
        return date.fromisoformat(str(valor).strip())
    except ValueError as e:
        raise ErrorDatos(f"Fecha '{valor}' mal escrita: use AAAA-MM-DD (p. ej. 2020-03-31).",
                         "FECHA_INVALIDA") from e
