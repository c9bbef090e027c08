"""Los cuadros del Anexo que el modo catastro arma con los montos ya liquidados por predio.

Los cuadros de tasas (10, 19–23, 32, 47) salen de los motores de cada servicio; los de aquí
presentan lo que el catastro aporta (frontis por sector, micro-rutas, índices) y lo que resulta de
liquidar cada predio: montos exonerados (Cuadros 11, 24, 33, 48) e ingresos (12, 25–26, 34).

Los cuadros de exonerados suman los montos **por predio** ya redondeados (``<servicio>_importe_*`` y
``<servicio>_exonerado_*`` de :class:`~geo.tarifas.motor.ResultadoTarifas`), de modo que su total
es, al céntimo, la suma de lo exonerado a cada predio.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Callable, Iterable, Mapping, Sequence

import pandas as pd

from geo.esquema import CONDICIONES
from geo.ordenanza import Ordenanza
from geo.tarifas.cuadro import Columna, Cuadro
from geo.tarifas.dinero import CERO, dec, div, mul


def _suma(s: Iterable) -> Decimal:
    return sum((dec(x) for x in s), CERO)


def cuadro_frontis(c10: Cuadro) -> Cuadro:
    """Cuadro 09: predios y frontis por sector de barrido, ponderado por la frecuencia."""
    claves = ("sector", "predios", "frontis_ml", "frecuencia_semanal", "ponderado_ml")
    filas = [{k: f[k] for k in claves} for f in c10.filas]
    tot = {k: c10.totales[k] for k in ("predios", "frontis_ml", "ponderado_ml")}
    return Cuadro("09", "Longitud de frontis a atenderse en barrido de calles", [
        Columna("sector", "Sector"),
        Columna("predios", "Cantidad de predios (a)"),
        Columna("frontis_ml", "Longitud de frontis, ml (b)", 2),
        Columna("frecuencia_semanal", "Frecuencia, días/semana (c)"),
        Columna("ponderado_ml", "Frontis ponderado, ml (d)", 2, "(d) = (b) × (c)"),
    ], filas, tot, servicio="barrido")


def cuadro_microrutas(microrutas: pd.DataFrame) -> Cuadro:
    """Cuadro 05: metros lineales barridos por sector, por día de servicio y por semana.

    ``microrutas``: una fila por vía y cuadra con ``sector``, ``via``, ``cuadra``, ``longitud_ml``
    (eje de la vía, ml), ``frecuencia_semanal`` y ``ml_semanal``.
    """
    faltan = [c for c in ("sector", "via", "cuadra", "longitud_ml", "frecuencia_semanal",
                          "ml_semanal") if c not in microrutas.columns]
    if faltan:
        from geo.errores import ErrorDatos

        raise ErrorDatos(f"a la tabla de micro-rutas le faltan las columnas {', '.join(faltan)}")
    m = pd.DataFrame(microrutas).copy()
    m["sector"] = m["sector"].map(lambda x: str(int(x)) if isinstance(x, float) and x.is_integer()
                                  else str(x))
    filas = []
    for sector, g in m.groupby("sector", sort=True):
        frec = sorted({int(x) for x in pd.to_numeric(g["frecuencia_semanal"]).dropna()})
        filas.append({
            "sector": sector,
            "vias": int(g["via"].nunique()),
            "cuadras": int(len(g[["via", "cuadra"]].drop_duplicates())),
            "frecuencia_semanal": ", ".join(map(str, frec)),
            "ml_diario": _suma(g["longitud_ml"]),
            "ml_semanal": _suma(g["ml_semanal"]),
        })
    tot = {"vias": int(m["via"].nunique()),
           "cuadras": sum(f["cuadras"] for f in filas),
           "ml_diario": _suma(f["ml_diario"] for f in filas),
           "ml_semanal": _suma(f["ml_semanal"] for f in filas)}
    return Cuadro("05", "Micro-rutas de barrido: metros lineales por sector", [
        Columna("sector", "Sector (micro-ruta)"),
        Columna("vias", "Vías"),
        Columna("cuadras", "Cuadras"),
        Columna("frecuencia_semanal", "Frecuencia, días/semana (a)"),
        Columna("ml_diario", "Longitud de vías barrida por día de servicio, ml (b)", 2),
        Columna("ml_semanal", "Metros lineales por semana (c)", 2, "(c) = Σ cuadra (b) × (a)"),
    ], filas, tot, servicio="barrido")


def cuadro_indices(o: Ordenanza) -> Cuadro:
    """Cuadro 31: índice de disfrute de cada categoría de ubicación (dato de la ordenanza)."""
    filas = [{"categoria": c.categoria, "nombre": c.nombre, "indice_disfrute": c.indice_disfrute}
             for c in o.parques.categorias]
    return Cuadro("31", "Índice de disfrute de áreas verdes", [
        Columna("categoria", "Categoría"),
        Columna("nombre", "Ubicación del predio"),
        Columna("indice_disfrute", "Índice de disfrute", 2),
    ], filas, {}, nota="Dato de la ordenanza (no sale del catastro).", servicio="parques")


def cuadro_exonerados(numero: str, servicio: str, o: Ordenanza, R: pd.DataFrame,
                      grupos: Sequence[tuple[str, str]], medida: pd.Series | None,
                      medida_titulo: str, medida_decimales: int | None,
                      tasa_mensual: Callable[[tuple], Decimal | None],
                      tasa_decimales: int) -> Cuadro:
    """Monto exonerado por clase de condición (Art. 7–8) y grupo (sector, zona y uso, categoría…).

    Parameters
    ----------
    R : la tabla por predio del motor (índice cualquiera), con ``condicion``,
        ``<servicio>_importe_mensual`` / ``_anual``, ``<servicio>_porcentaje_exonerado`` y
        ``<servicio>_exonerado_mensual`` / ``_anual``.
    grupos : columnas de ``R`` que forman el grupo, con su título: ``[("zona_recoleccion",
        "Zona"), ("uso", "Uso")]``.
    medida : medida de cada predio (ml o m²) en el índice de ``R``; ``None`` si la tasa es por
        predio (la medida es la cantidad de predios).
    tasa_mensual : tasa mensual del grupo (sin redondear) o ``None`` si el grupo mezcla tasas.

    Returns
    -------
    Cuadro cuyo total «monto anual a exonerar» es la suma exacta de ``<servicio>_exonerado_anual``
    de los predios exonerados.
    """
    s = servicio
    sel = R[(R[f"{s}_porcentaje_exonerado"].map(dec) > 0) & (R[f"{s}_importe_anual"].map(dec) > 0)]
    por_predio = medida is None
    sel = sel.assign(_medida=Decimal(1) if por_predio else medida.reindex(sel.index))
    claves = [g for g, _ in grupos]
    filas = []
    if len(sel):
        for llave, g in sel.groupby(["condicion", *claves], sort=True):
            cond, *resto = llave
            exo = o.exoneraciones.get(cond)
            tipo = "Inafectación" if exo and exo.tipo == "inafectacion" else "Exoneración"
            f = {"condicion": CONDICIONES.get(cond, cond),
                 "base_legal": f"{tipo}, Art. {exo.articulo}" if exo else "",
                 **dict(zip(claves, resto)),
                 "predios": len(g),
                 "base": _suma(g["_medida"]),
                 "tasa_mensual": tasa_mensual(tuple(resto)),
                 "monto_mensual": _suma(g[f"{s}_importe_mensual"]),
                 "monto_anual": _suma(g[f"{s}_importe_anual"]),
                 "porcentaje": dec(g[f"{s}_porcentaje_exonerado"].iloc[0]),
                 "exonerar_mensual": _suma(g[f"{s}_exonerado_mensual"]),
                 "exonerar_anual": _suma(g[f"{s}_exonerado_anual"])}
            if f["tasa_mensual"] is None:
                f["tasa_mensual"] = ""
            filas.append(f)
    tot = {k: _suma(f[k] for f in filas) for k in ("base", "monto_mensual", "monto_anual",
                                                    "exonerar_mensual", "exonerar_anual")}
    tot["predios"] = sum(f["predios"] for f in filas)
    cols = [Columna("condicion", "Condición del predio"), Columna("base_legal", "Base legal"),
            *[Columna(k, t) for k, t in grupos],
            Columna("predios", "Cantidad de predios" + (" (a)" if por_predio else "")),
            *([] if por_predio else [Columna("base", f"{medida_titulo} (a)", medida_decimales)]),
            Columna("tasa_mensual", "Tasa mensual S/ (b)", tasa_decimales),
            Columna("monto_mensual", "Monto mensual S/ (c)", 2, "(c) = Σ predio (a) × (b)"),
            Columna("monto_anual", "Monto anual S/ (d)", 2, "(d) = Σ predio (a) × tasa anual"),
            Columna("porcentaje", "Descuento % (e)", 0),
            Columna("exonerar_mensual", "Monto mensual a exonerar S/ (f)", 2,
                    "(f) = Σ predio (c) × (e)"),
            Columna("exonerar_anual", "Monto anual a exonerar S/ (g)", 2,
                    "(g) = Σ predio (d) × (e)")]
    return Cuadro(numero, "Cálculo del monto por predios exonerados", cols, filas, tot,
                  nota="Cada monto se redondea al céntimo por predio y luego se suma: el total (g) "
                       "es la suma de lo exonerado a cada predio.", servicio=servicio)


def cuadro_ingresos(numero: str, titulo: str, servicio: str, filas_grupo: Iterable[Mapping],
                    grupo: tuple[str, str], medida_titulo: str, medida_decimales: int | None,
                    tasa_decimales: int, exonerado_total: Decimal, meses: int = 12,
                    exonerado_por_fila: bool = True, nota: str = "") -> Cuadro:
    """Estimación de ingresos: medida × tasa mensual, ingreso anual, exonerado y proyectado.

    ``filas_grupo``: filas con la clave ``grupo[0]``, ``medida``, ``tasa_anual`` (sin redondear)
    y, si ``exonerado_por_fila``, ``exonerado`` (suma de lo exonerado a sus predios). El ingreso
    anual de cada fila es ``medida × tasa anual`` (lo que el motor distribuye al grupo).
    """
    clave, titulo_grupo = grupo
    filas = []
    for g in filas_grupo:
        ta = dec(g["tasa_anual"])
        f = {clave: g[clave], "medida": dec(g["medida"]), "tasa_mensual": div(ta, meses)}
        if "predios" in g:
            f["predios"] = g["predios"]
        f["ingreso_mensual"] = mul(f["medida"], f["tasa_mensual"])
        f["ingreso_anual"] = mul(f["medida"], ta)
        if exonerado_por_fila:
            f["exonerado"] = dec(g.get("exonerado", CERO))
            f["proyectado"] = f["ingreso_anual"] - f["exonerado"]
        filas.append(f)
    tot = {"medida": _suma(f["medida"] for f in filas),
           "ingreso_mensual": _suma(f["ingreso_mensual"] for f in filas),
           "ingreso_anual": _suma(f["ingreso_anual"] for f in filas),
           "exonerado": exonerado_total}
    tot["proyectado"] = tot["ingreso_anual"] - exonerado_total
    if any("predios" in f for f in filas):
        tot["predios"] = sum(int(f.get("predios", 0)) for f in filas)
    cols = [Columna(clave, titulo_grupo)]
    if "predios" in tot:
        cols.append(Columna("predios", "Cantidad de predios"))
    cols += [Columna("medida", f"{medida_titulo} (a)", medida_decimales),
             Columna("tasa_mensual", "Tasa mensual S/ (b)", tasa_decimales),
             Columna("ingreso_mensual", "Ingreso mensual estimado S/ (c)", 2, "(c) = (a) × (b)"),
             Columna("ingreso_anual", "Ingreso anual estimado S/ (d)", 2, f"(d) = (c) × {meses}"),
             Columna("exonerado", "Monto por predios exonerados S/ (e)", 2),
             Columna("proyectado", "Ingreso anual proyectado S/ (f)", 2, "(f) = (d) − (e)")]
    return Cuadro(numero, titulo, cols, filas, tot, nota=nota, servicio=servicio)
