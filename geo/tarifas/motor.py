"""Modo catastro: los mismos cuadros de la ordenanza, con los agregados del catastro, y el arbitrio
de cada predio.

Cómo se calcula (y por qué cuadra al céntimo)
---------------------------------------------
1. Con el catastro se arman los agregados de cada cuadro (predios y frontis por sector, áreas
   construidas por zona y uso, predios por categoría y por uso); los datos que no salen del
   catastro (costos, frecuencias, t/día por zona, kg/predio/día, índices, incidencias) vienen de
   la ordenanza.
2. El motor de cada servicio da las tasas **sin redondear** (Decimal de 50 dígitos).
3. El importe anual de cada predio = su medida (ml de frontis, m² construidos o 1 predio) × la
   tasa sin redondear. Así, la suma de los importes exactos de todos los predios afectos es el
   costo distribuido: Σ_predio medida × costo_grupo / Σ medida_grupo = costo_grupo.
4. Cada importe (anual y mensual) se redondea HALF-UP al céntimo **una sola vez**; la exoneración
   (Art. 7–8) es el porcentaje del importe redondeado (HALF-UP) y lo cobrado, la resta. Así cada
   línea de la liquidación se rehace a mano. Lo exonerado se informa; no se reparte.
5. El **residuo de redondeo** se mide predio a predio (importe exacto − importe redondeado) y se
   comprueba que cobrado + exonerado + residuo = costo distribuido al céntimo (``cuadra``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from geo.claves import esta_en
from geo.errores import ErrorDatos, cuenta
from geo.esquema import CONDICIONES, USOS
from geo.ordenanza import NOMBRES_SERVICIO, SERVICIOS, Ordenanza
from geo.tarifas import anexo
from geo.tarifas import barrido as m_barrido
from geo.tarifas import parques as m_parques
from geo.tarifas import recoleccion as m_recoleccion
from geo.tarifas import serenazgo as m_serenazgo
from geo.tarifas.cuadro import Cuadro
from geo.tarifas.dinero import CERO, con_contexto, dec, div, mul, num, por_valor, redondear, soles
from geo.tarifas.exoneraciones import (
    condiciones_desconocidas,
    no_afecto,
    porcentaje_exonerado,
)

log = logging.getLogger(__name__)

COLUMNAS_PREDIOS = ("codigo", "uso", "condicion", "area_construida_m2", "frontis_m",
                    "categoria_parques", "zona_recoleccion", "sector_recoleccion",
                    "sector_barrido", "zona_serenazgo", "predio_matriz", "participacion")
COLUMNAS_FRENTES = ("codigo", "via", "cuadra", "sector_barrido", "frecuencia_semanal",
                    "longitud_m")


@dataclass
class ResultadoTarifas:
    """Resultado de :func:`calcular_tarifas`.

    Attributes
    ----------
    predios : una fila por predio; columnas ``<servicio>_anual_bruto`` (sin redondear, antes de
        exonerar), ``<servicio>_exonerado_anual`` / ``_mensual`` y ``<servicio>_mensual`` /
        ``_anual`` (a cobrar, redondeados a céntimos), ``exoneracion`` (mensual, todos los
        servicios), ``total_mensual`` y ``total_anual``. Montos en S/ como Decimal.
    frentes : frentes con su tasa por ml y su monto de barrido (para la liquidación).
    cuadros : cuadros recalculados con el catastro, por número ("10", "19", "20", …).
    tasas : por servicio, {grupo: (tasa anual, tasa mensual)} sin redondear.
    conciliacion : por servicio, costo, costo sin distribuir, cobrado, exonerado y residuo.
    avisos : mensajes en español sobre datos que no entraron al cálculo.
    """

    ordenanza: Ordenanza
    predios: pd.DataFrame
    frentes: pd.DataFrame
    cuadros: dict[str, Cuadro]
    tasas: dict[str, dict]
    conciliacion: dict[str, dict]
    avisos: list[str] = field(default_factory=list)
    # Cuántas cuotas descansan en frontis confirmado en campo vs derivado de la geometría
    # (lo llena geo.flujo cuando el almacén tiene confirmaciones; ver geo.almacen).
    fuentes_frontis: dict | None = None


def _decs(serie: pd.Series) -> list[Decimal]:
    return [dec(x) if x is not None and not (isinstance(x, float) and np.isnan(x)) else CERO
            for x in serie.to_numpy(dtype=object)]


def _exonerado(importe: Decimal, porcentaje: Decimal) -> Decimal:
    """Lo exonerado de un importe ya redondeado: su ``porcentaje`` (0–100), al céntimo."""
    return redondear(mul(importe, porcentaje) / 100)


def _sumar_por(claves: pd.Series, montos: pd.Series) -> dict:
    """``{clave: Σ montos}`` exacta (Decimal), sumando en el orden de las filas desde
    :data:`CERO`, como ``groupby(claves).agg(lambda s: sum(s, CERO))`` pero sin armar una
    serie por grupo (~20 µs cada una: ~2 s por suma con 100 mil predios)."""
    suma: dict = {}
    for k, m in zip(claves, montos):
        suma[k] = suma.get(k, CERO) + m
    return suma


def _texto(serie: pd.Series) -> pd.Series:
    """Normaliza claves de texto (sector "1", zona "A"); vacío/NaN → None."""
    def f(x):
        if x is None or (isinstance(x, float) and np.isnan(x)):
            return None
        if isinstance(x, float) and x.is_integer():
            x = int(x)
        s = str(x).strip()
        return s or None
    return serie.map(f).astype(object)


def _validar_entrada(predios: pd.DataFrame, frentes: pd.DataFrame) -> None:
    faltan = [c for c in ("codigo", "uso", "area_construida_m2") if c not in predios.columns]
    if faltan:
        raise ErrorDatos(f"a la tabla de predios le faltan las columnas {', '.join(faltan)}")
    faltan = [c for c in ("codigo", "sector_barrido", "longitud_m") if c not in frentes.columns]
    if faltan:
        raise ErrorDatos(f"a la tabla de frentes le faltan las columnas {', '.join(faltan)}")
    dup = predios["codigo"][predios["codigo"].duplicated()]
    if len(dup):
        raise ErrorDatos(f"códigos de predio repetidos: {', '.join(map(str, dup.unique()[:10]))}")
    usos = pd.to_numeric(predios["uso"], errors="coerce")
    malos = predios.loc[~usos.isin(list(USOS)), "codigo"]
    if len(malos):
        raise ErrorDatos(f"uso fuera de 1–10 en los predios {', '.join(map(str, malos[:10]))}")
    area = pd.to_numeric(predios["area_construida_m2"], errors="coerce")
    malos = predios.loc[area.isna() | (area < 0), "codigo"]
    if len(malos):
        raise ErrorDatos("área construida vacía o negativa en los predios "
                         f"{', '.join(map(str, malos[:10]))}")
    lon = pd.to_numeric(frentes["longitud_m"], errors="coerce")
    malos = frentes.loc[lon.isna() | (lon < 0), "codigo"]
    if len(malos):
        raise ErrorDatos("longitud_m vacía o negativa en los frentes de los predios "
                         f"{', '.join(map(str, malos[:10]))}: corrija la longitud del tramo "
                         "(metros de frontis, ≥ 0) en la capa de frentes")


def _en_ambito(o: Ordenanza, servicio: str, P: pd.DataFrame) -> pd.Series:
    amb = o.servicio(servicio).ambito
    if amb.tipo == "todos":
        m = pd.Series(True, index=P.index)
    elif amb.tipo == "zona_recoleccion":
        m = P["zona_recoleccion"].isin(list(amb.zonas))
    elif amb.tipo == "categoria":
        m = P["categoria_parques"].notna()
    else:  # frontis_en_sector: lo decide la tabla de frentes
        m = pd.Series(True, index=P.index)
    return m & ~no_afecto(o, P, servicio)


def numeros_recoleccion(zonas: list[str]) -> dict[str, dict[str, str]]:
    """Número de cuadro de cada zona: generación, tasas e ingresos (y el de exonerados).

    Con una o dos zonas, la numeración de la Ordenanza 466-2019 (A: 20, 22, 25; B: 21, 23, 26;
    exonerados 24). Con más zonas los números llevan la letra de la zona (``20C``) para no pisar
    los cuadros de parques (27 en adelante).
    """
    if len(zonas) <= 2:
        return {z: {"generacion": str(20 + i), "tasas": str(22 + i), "ingresos": str(25 + i)}
                for i, z in enumerate(zonas)}
    return {z: {"generacion": f"20{z}", "tasas": f"22{z}", "ingresos": f"25{z}"} for z in zonas}


@con_contexto
def calcular_tarifas(predios: pd.DataFrame, frentes: pd.DataFrame, ordenanza: Ordenanza,
                     microrutas: pd.DataFrame | None = None) -> ResultadoTarifas:
    """Arbitrios de cada predio a partir del catastro.

    Parameters
    ----------
    predios : una fila por predio (las unidades en propiedad horizontal son filas propias);
        columnas ``codigo``, ``uso`` (1–10), ``condicion``, ``area_construida_m2`` (m²),
        ``frontis_m``, ``categoria_parques`` (A/B/C/D), ``zona_recoleccion`` (A/B o vacío),
        ``sector_recoleccion``, ``sector_barrido``, ``zona_serenazgo``, ``predio_matriz``,
        ``participacion``.
    frentes : una fila por tramo de frontis (las unidades en propiedad horizontal ya traen su
        parte prorrateada); ``codigo``, ``via``, ``cuadra``, ``sector_barrido``,
        ``frecuencia_semanal``, ``longitud_m`` (metros).
    ordenanza : la ordenanza cargada.
    microrutas : opcional; una fila por vía y cuadra barrida con ``sector``, ``via``, ``cuadra``,
        ``longitud_ml``, ``frecuencia_semanal`` y ``ml_semanal`` (``derivados.microrutas``). Si
        se da, sale el Cuadro 05; no cambia ningún monto.

    Returns
    -------
    ResultadoTarifas
        El importe de cada predio (medida × tasa SIN redondear) se redondea HALF-UP al céntimo una
        sola vez; la exoneración es el porcentaje de ese importe (redondeado) y lo cobrado, la
        diferencia. Así cada liquidación se rehace a mano y la suma de importes difiere del
        costo distribuido solo por el residuo de redondeo, que se informa en ``conciliacion``.
        Cuadros producidos: 05 (si hay ``microrutas``), 09–12, 19–26, 31–34, 47 y 48.
    """
    _validar_entrada(predios, frentes)
    o = ordenanza
    avisos: list[str] = []
    P = predios.copy()
    for c in COLUMNAS_PREDIOS:
        if c not in P.columns:
            P[c] = None
    P["codigo"] = P["codigo"].astype(str)
    P["uso"] = pd.to_numeric(P["uso"]).astype(int)
    for c in ("zona_recoleccion", "sector_barrido", "zona_serenazgo", "categoria_parques",
              "condicion"):
        P[c] = _texto(P[c])
    desconocidas = condiciones_desconocidas(o, P["condicion"])
    if desconocidas:
        avisos.append("condiciones que la ordenanza no define (se cobran completas): "
                      + ", ".join(desconocidas))
    P = P.set_index("codigo", drop=False)
    area = pd.Series(_decs(P["area_construida_m2"]), index=P.index, dtype=object)

    F = frentes.copy()
    for c in COLUMNAS_FRENTES:
        if c not in F.columns:
            F[c] = None
    F["codigo"] = F["codigo"].astype(str)
    F["sector_barrido"] = _texto(F["sector_barrido"])
    ajenos = ~esta_en(F["codigo"], P.index)
    if ajenos.any():
        avisos.append(f"{int(ajenos.sum())} frentes de predios que no están en la tabla de predios "
                      "(no se consideran)")
        F = F[~ajenos]
    cuadros: dict[str, Cuadro] = {}
    tasas: dict[str, dict] = {}
    bruto: dict[str, pd.Series] = {}

    # ---------------- barrido: Σ frentes × tasa del sector del tramo
    frec_ord = {s.sector: s.frecuencia_semanal for s in o.barrido.sectores}
    sin_sector = F["sector_barrido"].isna()
    excluidos = P.index[no_afecto(o, P, "barrido")]
    F_b = F[~sin_sector & ~esta_en(F["codigo"], excluidos)].copy()
    F_b["longitud_dec"] = _decs(F_b["longitud_m"])
    sectores = []
    for sector, g in F_b.groupby("sector_barrido", sort=True):
        f = frec_ord.get(sector)
        if f is None:
            fr = pd.to_numeric(g["frecuencia_semanal"], errors="coerce").dropna().unique()
            if len(fr) != 1:
                raise ErrorDatos(f"el sector de barrido {sector} no está en la ordenanza y sus "
                                 "frentes no traen una frecuencia_semanal única")
            f = int(fr[0])
            avisos.append(f"sector de barrido {sector}: no figura en la ordenanza; se usa la "
                          f"frecuencia de la capa ({f} días/semana)")
        sectores.append({"sector": sector, "predios": int(g["codigo"].nunique()),
                         "frontis_ml": sum(g["longitud_dec"], CERO), "frecuencia_semanal": f})
    c10 = m_barrido.distribuir(o.barrido.costo.total, sectores, o.meses) if sectores else None
    t_b = {f["sector"]: (f["tasa_anual_ml"], f["tasa_mensual_ml"]) for f in c10.filas} if c10 else {}
    if c10:
        cuadros["10"] = c10
    tasas["barrido"] = t_b
    F_b["tasa_anual_ml"] = [t_b[s][0] for s in F_b["sector_barrido"]]
    F_b["barrido_anual"] = [mul(lo, t) for lo, t in zip(F_b["longitud_dec"], F_b["tasa_anual_ml"])]
    por_predio = _sumar_por(F_b["codigo"], F_b["barrido_anual"])
    bruto["barrido"] = pd.Series([por_predio.get(c, CERO) for c in P.index], index=P.index,
                                 dtype=object)
    frontis_b = _sumar_por(F_b["codigo"], F_b["longitud_dec"])
    sectores_de: dict[str, set] = {}
    for c, sector in zip(F_b["codigo"], F_b["sector_barrido"]):
        sectores_de.setdefault(c, set()).add(sector)
    sectores_b = {c: ", ".join(sorted(ss, key=lambda x: (len(x), x)))
                  for c, ss in sectores_de.items()}
    if sin_sector.any():
        avisos.append(f"{int(sin_sector.sum())} frentes fuera de los sectores de barrido "
                      "(no pagan barrido)")
        # un frontis confirmado en campo sin trozo derivado no tiene vía ni sector: que se vea
        if "frontis_fuente" in F.columns:
            conf = F.loc[sin_sector & (F["frontis_fuente"] == "confirmado")
                         & (pd.to_numeric(F["longitud_m"], errors="coerce") > 0), "codigo"]
            if len(conf):
                codigos = list(dict.fromkeys(conf))
                avisos.append(
                    f"{cuenta(len(codigos), 'predio', 'predios')} con frontis confirmado en "
                    f"campo sin sector de barrido: ese frontis no paga barrido "
                    f"({', '.join(codigos[:10])}{' …' if len(codigos) > 10 else ''}). Suele "
                    "ser un frente a una vía que no está en la capa de vías: agréguela y "
                    "vuelva a derivar.")
    log.info("barrido: %d sectores, %d frentes afectos", len(sectores), len(F_b))
    no_asignado_b = CERO if c10 else o.barrido.costo.total

    # ---------------- recolección: zona (t/día) → uso (kg) → m²
    amb_r = _en_ambito(o, "recoleccion", P) & P["zona_recoleccion"].notna()
    fuera = P["zona_recoleccion"].notna() & ~P["zona_recoleccion"].isin(
        [z.zona for z in o.recoleccion.zonas])
    if fuera.any():
        avisos.append(f"{int(fuera.sum())} predios con zona de recolección que la ordenanza no "
                      "define (no pagan recolección)")
        amb_r &= ~fuera
    Pr = P[amb_r]
    filas_z = [{"zona": z.zona, "predios": int((Pr["zona_recoleccion"] == z.zona).sum()),
                "generacion_t_dia": z.generacion_t_dia} for z in o.recoleccion.zonas]
    c19 = m_recoleccion.distribuir_zonas(o.recoleccion.costo.total, filas_z)
    cuadros["19"] = c19
    t_r: dict[tuple[str, int], tuple[Decimal, Decimal]] = {}
    usos_zona: dict[str, Cuadro] = {}
    no_asignado_r = CERO
    for fz in c19.filas:
        z = fz["zona"]
        Pz = Pr[Pr["zona_recoleccion"] == z]
        kg = o.recoleccion.generacion_kg_predio_dia.get(z, {})
        entrada = []
        for u in sorted(set(Pz["uso"])):
            de_uso = Pz.index[Pz["uso"] == u]
            entrada.append({"uso": u, "predios": len(de_uso), "kg_predio_dia": kg.get(u, CERO),
                            "area_m2": sum(area[de_uso], CERO)})
        if not entrada or sum((mul(e["predios"], e["kg_predio_dia"]) for e in entrada), CERO) == 0:
            no_asignado_r += fz["costo_relativo"]
            if fz["costo_relativo"] > 0:
                avisos.append(f"recolección, zona {z}: sin predios que generen residuos; su costo "
                              f"({redondear(fz['costo_relativo'])}) queda sin distribuir")
            continue
        cu = m_recoleccion.distribuir_usos(fz["costo_relativo"], entrada, o.meses, z)
        usos_zona[z] = cu
        for f in cu.filas:
            t_r[(z, f["uso"])] = (f["tasa_anual_m2"], f["tasa_mensual_m2"])
            if f["costo_relativo"] > 0 and f["area_m2"] == 0:
                no_asignado_r += f["costo_relativo"]
                avisos.append(f"recolección, zona {z}, uso {f['uso']}: sin área construida; su "
                              f"costo ({redondear(f['costo_relativo'])}) queda sin distribuir")
    bruto["recoleccion"] = pd.Series(
        [mul(a, t_r.get((z, u), (CERO,))[0]) if en else CERO
         for a, z, u, en in zip(area, P["zona_recoleccion"], P["uso"], amb_r)],
        index=P.index, dtype=object)
    tasas["recoleccion"] = t_r
    log.info("recolección: %d predios afectos en %d zonas", int(amb_r.sum()), len(usos_zona))

    # ---------------- parques: categoría × índice
    amb_p = _en_ambito(o, "parques", P)
    sin_cat = amb_p & P["categoria_parques"].isna()
    if sin_cat.any():
        avisos.append(f"{int(sin_cat.sum())} predios del ámbito de parques sin categoría (no pagan "
                      "parques)")
    cats = {c.categoria: c for c in o.parques.categorias}
    cat_mala = amb_p & P["categoria_parques"].notna() & ~P["categoria_parques"].isin(list(cats))
    if cat_mala.any():
        avisos.append(f"{int(cat_mala.sum())} predios con categoría de parques desconocida")
    amb_p &= P["categoria_parques"].isin(list(cats))
    Pp = P[amb_p]
    filas_c = [{"categoria": k, "predios": int((Pp["categoria_parques"] == k).sum()),
                "indice_disfrute": c.indice_disfrute} for k, c in cats.items()]
    con_predios = [f for f in filas_c if f["predios"] > 0]
    c32 = m_parques.distribuir(o.parques.costo.total, con_predios, o.meses) if con_predios else None
    t_p = {f["categoria"]: (f["tasa_anual"], f["tasa_mensual"]) for f in c32.filas} if c32 else {}
    if c32:
        cuadros["32"] = c32
    no_asignado_p = CERO if c32 else o.parques.costo.total
    bruto["parques"] = pd.Series([t_p[k][0] if en else CERO
                                  for k, en in zip(P["categoria_parques"], amb_p)],
                                 index=P.index, dtype=object)
    tasas["parques"] = t_p

    # ---------------- serenazgo: incidencias por uso (× índice de peligrosidad por zona)
    amb_s = _en_ambito(o, "serenazgo", P)
    zonas = {z.zona: z for z in o.serenazgo.zonas}
    zona_s = P["zona_serenazgo"].copy()
    if len(zonas) == 1:
        zona_s = zona_s.fillna(next(iter(zonas)))
        zona_s[~zona_s.isin(list(zonas))] = next(iter(zonas))
    desc = amb_s & ~zona_s.isin(list(zonas))
    if desc.any():
        avisos.append(f"{int(desc.sum())} predios sin zona de serenazgo válida (no pagan serenazgo)")
        amb_s &= ~desc
    Ps = P[amb_s].assign(zona=zona_s[amb_s])
    filas_uz = [{"uso": int(u), "zona": z, "predios": len(g),
                 "indice_peligrosidad": zonas[z].indice_peligrosidad}
                for (u, z), g in Ps.groupby(["uso", "zona"])]
    c47, t_s = m_serenazgo.distribuir(o.serenazgo.costo.total, filas_uz,
                                      o.serenazgo.incidencias_por_uso, o.meses)
    cuadros["47"] = c47
    no_asignado_s = sum((f["costo_relativo"] for f in c47.filas if f["predios"] == 0), CERO)
    for f in c47.filas:
        if f["predios"] == 0 and f["costo_relativo"] > 0:
            avisos.append(f"serenazgo, uso {f['uso']}: hay incidencias pero ningún predio; su costo "
                          f"({redondear(f['costo_relativo'])}) queda sin distribuir")
    bruto["serenazgo"] = pd.Series([t_s.get((u, z), CERO) if en else CERO
                                    for u, z, en in zip(P["uso"], zona_s, amb_s)],
                                   index=P.index, dtype=object)
    tasas["serenazgo"] = t_s

    # ---------------- liquidación por predio: importe, exoneración y conciliación
    no_asignado = {"barrido": no_asignado_b, "recoleccion": no_asignado_r,
                   "parques": no_asignado_p, "serenazgo": no_asignado_s}
    R = P[["codigo", "uso", "condicion", "zona_recoleccion", "sector_barrido",
           "categoria_parques", "frontis_m", "area_construida_m2", "predio_matriz",
           "participacion"]].copy()
    R["zona_serenazgo"] = zona_s
    R["frontis_barrido_m"] = pd.Series([frontis_b.get(c, CERO) for c in P.index],
                                       index=P.index, dtype=object)
    R["sectores_barrido"] = pd.Series([sectores_b.get(c, "") for c in P.index], index=P.index,
                                      dtype=object)
    conciliacion = {}
    total_m = pd.Series([CERO] * len(R), index=R.index, dtype=object)
    total_a = total_m.copy()
    exo_m = total_m.copy()
    for s in SERVICIOS:
        b = bruto[s]
        pct = porcentaje_exonerado(o, R["condicion"], s)
        # un solo redondeo por importe; la exoneración es el % del importe ya redondeado
        imp_a = pd.Series(por_valor(redondear, b), index=R.index, dtype=object)
        imp_m = pd.Series(por_valor(lambda x: redondear(div(x, o.meses)), b), index=R.index,
                          dtype=object)
        ex_a = pd.Series(por_valor(_exonerado, imp_a, pct), index=R.index, dtype=object)
        ex_m = pd.Series(por_valor(_exonerado, imp_m, pct), index=R.index, dtype=object)
        R[f"{s}_anual_bruto"] = b
        R[f"{s}_importe_anual"] = imp_a
        R[f"{s}_importe_mensual"] = imp_m
        R[f"{s}_porcentaje_exonerado"] = pct
        R[f"{s}_exonerado_anual"] = ex_a
        R[f"{s}_exonerado_mensual"] = ex_m
        R[f"{s}_anual"] = imp_a - ex_a
        R[f"{s}_mensual"] = imp_m - ex_m
        total_m = total_m + R[f"{s}_mensual"]
        total_a = total_a + R[f"{s}_anual"]
        exo_m = exo_m + ex_m
        costo = o.servicio(s).costo.total
        distribuido = costo - no_asignado[s]
        cobrado, exonerado = sum(R[f"{s}_anual"], CERO), sum(ex_a, CERO)
        # el residuo se mide predio a predio (importe exacto − importe redondeado), no por
        # diferencia: así la comprobación de abajo detecta costo que no llegó a ningún predio
        residuo = sum((x - r for x, r in zip(b, imp_a)), CERO)
        conciliacion[s] = {
            "servicio": NOMBRES_SERVICIO[s],
            "costo": costo,
            "costo_sin_distribuir": no_asignado[s],
            "costo_distribuido": distribuido,
            "suma_exacta": sum(b, CERO),
            "predios_afectos": int(sum(1 for x in b if x > 0)),
            "importe_anual": sum(imp_a, CERO),
            "cobrado_anual": cobrado,
            "exonerado_anual": exonerado,
            "residuo_redondeo": residuo,
            "cobrado_mensual": sum(R[f"{s}_mensual"], CERO),
            "exonerado_mensual": sum(ex_m, CERO),
            "cuadra": redondear(cobrado + exonerado + residuo) == redondear(distribuido),
        }
        if not conciliacion[s]["cuadra"]:
            avisos.append(f"{NOMBRES_SERVICIO[s]}: cobrado + exonerado + residuo "
                          f"({redondear(cobrado + exonerado + residuo)}) no es el costo "
                          f"distribuido ({redondear(distribuido)})")
    R["exoneracion"] = exo_m
    R["total_mensual"] = total_m
    R["total_anual"] = total_a
    F_b["barrido_anual_bruto"] = F_b["barrido_anual"]

    # ---------------- cuadros del Anexo que salen de la liquidación
    cuadros.update(_cuadros_liquidacion(o, R, c10, t_b, usos_zona, t_r, c32, t_p, t_s,
                                        conciliacion, microrutas))
    log.info("tarifas: %d predios, cuadros %s", len(R), ", ".join(sorted(cuadros)))
    return ResultadoTarifas(o, R.reset_index(drop=True), F_b.reset_index(drop=True), cuadros,
                            tasas, conciliacion, avisos)


def _nota_cobro(c: dict, cuadro_exonerados: str) -> str:
    return (f"(e) es la suma de lo exonerado a cada predio (Cuadro {cuadro_exonerados}). Σ cuotas "
            f"cobradas = {num(c['cobrado_anual'])}; la diferencia con (f) es el residuo "
            f"de redondeo ({num(c['residuo_redondeo'])}).")


def _cuadros_liquidacion(o: Ordenanza, R: pd.DataFrame, c10, t_b, usos_zona, t_r, c32, t_p,
                         t_s, conciliacion, microrutas) -> dict[str, Cuadro]:
    """Cuadros 05, 09, 11, 12, 20–26, 31, 33, 34 y 48 a partir de los montos por predio."""
    m = o.meses
    dm = o.decimales_tasa_mensual
    area = R["area_construida_m2"].map(dec)
    cuadros: dict[str, Cuadro] = {}

    sumas: dict[tuple, dict] = {}

    def exonerado_de(servicio, **filtro) -> Decimal:
        """Σ de lo exonerado a los predios del grupo (una agrupación por servicio y claves)."""
        claves = tuple(filtro)
        if (servicio, claves) not in sumas:
            col = R[f"{servicio}_exonerado_anual"]
            con = R[col > 0]
            sumas[(servicio, claves)] = {
                (k if isinstance(k, tuple) else (k,)): sum(g, CERO)
                for k, g in con.groupby(list(claves))[col.name]} if len(con) else {}
        return sumas[(servicio, claves)].get(tuple(filtro.values()), CERO)

    if microrutas is not None and len(microrutas):
        cuadros["05"] = anexo.cuadro_microrutas(microrutas)
    if c10 is not None:
        cuadros["09"] = anexo.cuadro_frontis(c10)

        def tasa_b(grupo):
            sect = grupo[0].split(", ")
            return t_b[sect[0]][1] if len(sect) == 1 and sect[0] in t_b else None

        cuadros["11"] = anexo.cuadro_exonerados(
            "11", "barrido", o, R, [("sectores_barrido", "Sectores")], R["frontis_barrido_m"],
            "Longitud de frontis, ml", 2, tasa_b, max(dm["barrido"], 5))
        cuadros["12"] = anexo.cuadro_ingresos(
            "12", "Estimación de ingresos del servicio de barrido de calles", "barrido",
            [{"sector": f["sector"], "medida": f["frontis_ml"], "tasa_anual": f["tasa_anual_ml"]}
             for f in c10.filas], ("sector", "Sector"), "Longitud de frontis, ml", 2,
            max(dm["barrido"], 5), conciliacion["barrido"]["exonerado_anual"], m,
            exonerado_por_fila=False, nota=_nota_cobro(conciliacion["barrido"], "11"))
    numeros = numeros_recoleccion([z.zona for z in o.recoleccion.zonas])
    for z, cu in usos_zona.items():
        n = numeros[z]
        cuadros[n["generacion"]] = m_recoleccion.vista_generacion(cu, n["generacion"], z)
        cuadros[n["tasas"]] = m_recoleccion.vista_tasas(cu, n["tasas"], z)
        cuadros[n["ingresos"]] = anexo.cuadro_ingresos(
            n["ingresos"], f"Zona {z}: estimación de ingresos del servicio de recolección",
            "recoleccion",
            [{"uso": f["uso"], "predios": f["predios"], "medida": f["area_m2"],
              "tasa_anual": f["tasa_anual_m2"],
              "exonerado": exonerado_de("recoleccion", zona_recoleccion=z, uso=f["uso"])}
             for f in cu.filas], ("uso", "Uso (SNC)"), "Área construida m²", 2,
            max(dm["recoleccion"], 5),
            exonerado_de("recoleccion", zona_recoleccion=z), m)
    if usos_zona:
        cuadros["24"] = anexo.cuadro_exonerados(
            "24", "recoleccion", o, R, [("zona_recoleccion", "Zona"), ("uso", "Uso (SNC)")],
            area, "Área construida m²", 2,
            lambda g: t_r[(g[0], g[1])][1] if (g[0], g[1]) in t_r else None,
            max(dm["recoleccion"], 5))
    if o.parques.categorias:
        cuadros["31"] = anexo.cuadro_indices(o)
    if c32 is not None:
        cuadros["33"] = anexo.cuadro_exonerados(
            "33", "parques", o, R, [("categoria_parques", "Categoría")], None, "Predios", 0,
            lambda g: t_p[g[0]][1] if g[0] in t_p else None, max(dm["parques"], 4))
        cuadros["34"] = anexo.cuadro_ingresos(
            "34", "Estimación de ingresos por parques y jardines", "parques",
            [{"categoria": f["categoria"], "medida": Decimal(f["predios"]),
              "tasa_anual": f["tasa_anual"],
              "exonerado": exonerado_de("parques", categoria_parques=f["categoria"])}
             for f in c32.filas], ("categoria", "Categoría"), "Cantidad de predios", 0,
            max(dm["parques"], 4), conciliacion["parques"]["exonerado_anual"], m,
            nota=_nota_cobro(conciliacion["parques"], "33"))
    grupos_s = [("uso", "Uso (SNC)")]
    if len(o.serenazgo.zonas) > 1:
        grupos_s.append(("zona_serenazgo", "Zona"))
    unica = o.serenazgo.zonas[0].zona if len(o.serenazgo.zonas) == 1 else None

    def tasa_s(g):
        t = t_s.get((int(g[0]), g[1] if len(g) > 1 else unica))
        return div(t, m) if t is not None else None

    c48 = anexo.cuadro_exonerados("48", "serenazgo", o, R, grupos_s, None, "Predios", 0, tasa_s,
                                  max(dm["serenazgo"], 4))
    cs = conciliacion["serenazgo"]
    c48.nota += (f" Ingreso anual proyectado = costo distribuido − exonerado = "
                 f"{num(cs['costo_distribuido'])} − "
                 f"{num(cs['exonerado_anual'])} = "
                 f"{num(cs['costo_distribuido'] - cs['exonerado_anual'])}.")
    cuadros["48"] = c48
    return cuadros


def _tasa_visible(partes: list[tuple[Decimal, Decimal]], objetivo: Decimal, minimo: int) -> int:
    """Decimales con que mostrar la tasa para que Σ medida × tasa mostrada dé ``objetivo``.

    ``partes``: (medida tal como se muestra, tasa sin redondear). Empieza en ``minimo`` y agrega
    decimales hasta que la cuenta hecha a mano con las cifras mostradas reproduce el importe.
    """
    for d in range(minimo, 13):
        if redondear(sum((mul(m, redondear(t, d)) for m, t in partes), CERO)) == objetivo:
            return d
    return 12


def _pct(x) -> str:
    return f"{dec(x).normalize():f} %"


@con_contexto
def liquidacion(codigo: str, resultado: ResultadoTarifas) -> str:
    """Liquidación de un predio, como la lee el contribuyente; cada línea se rehace a mano.

    Cada importe es medida × tasa, redondeado al céntimo (mitad hacia arriba); la tasa se muestra
    con los decimales necesarios para que la multiplicación de las cifras impresas dé el importe
    impreso. La exoneración es el porcentaje del importe impreso y lo que se paga, la resta.

    Raises
    ------
    ErrorDatos
        Si ``codigo`` no es un predio del catastro (el mensaje nombra el código).
    """
    o = resultado.ordenanza
    R = resultado.predios
    codigo = str(codigo).strip()
    fila = R[R["codigo"] == codigo]
    if fila.empty:
        ejemplo = f" (los códigos son como {R['codigo'].iloc[0]})" if len(R) else ""
        raise ErrorDatos(f"el predio con código «{codigo}» no está en el catastro: no hay "
                         f"arbitrios que liquidar. Revise el código{ejemplo}.", "PREDIO_DESCONOCIDO")
    p = fila.iloc[0]
    m = o.meses
    dm = o.decimales_tasa_mensual
    uso = int(p["uso"])
    cond = p["condicion"] if isinstance(p["condicion"], str) and p["condicion"] else None
    exo = o.exoneraciones.get(cond) if cond else None
    lin = [f"LIQUIDACIÓN DE ARBITRIOS MUNICIPALES — EJERCICIO {o.meta.get('ejercicio', '')}",
           f"{o.meta.get('municipalidad', '')} · {o.meta.get('ordenanza', '')}", "",
           f"Predio: {p['codigo']}"
           + (f" (unidad del predio matriz {p['predio_matriz']})"
              if isinstance(p.get("predio_matriz"), str) and p["predio_matriz"] else ""),
           f"Uso: {uso} {USOS.get(uso, '')}"]
    if cond:
        tipo = "Inafectación" if exo and exo.tipo == "inafectacion" else "Exoneración"
        lin.append(f"Condición: {CONDICIONES.get(cond, cond)} — "
                   + (f"{tipo}, Art. {exo.articulo}" if exo else "la ordenanza no la exonera"))
    lin.append("")

    # (servicio, texto del cálculo mensual, partes, tasa mínima de decimales, texto anual)
    def calculo(servicio: str, partes_txt, partes, minimo: int, unidad: str):
        """Línea «medida × tasa = importe» mensual y anual, con la tasa a los decimales justos."""
        imp_m, imp_a = dec(p[f"{servicio}_importe_mensual"]), dec(p[f"{servicio}_importe_anual"])
        mens = [(med, div(t, m)) for med, t in partes]
        d_m = _tasa_visible(mens, imp_m, minimo)
        d_a = _tasa_visible(partes, imp_a, max(minimo - 1, 2))
        if len(partes) == 1:
            (_, t), txt = partes[0], partes_txt[0]
            return (f"{txt} × S/ {redondear(div(t, m), d_m):,.{d_m}f} {unidad} = {soles(imp_m)}",
                    f"{txt} × S/ {redondear(t, d_a):,.{d_a}f} {unidad} = {soles(imp_a)}")
        prods_m = [mul(med, redondear(div(t, m), d_m)) for med, t in partes]
        prods_a = [mul(med, redondear(t, d_a)) for med, t in partes]
        txt_m = " + ".join(f"{x} × S/ {redondear(div(t, m), d_m):,.{d_m}f}"
                           for x, (_, t) in zip(partes_txt, partes))
        txt_a = " + ".join(f"{x} × S/ {redondear(t, d_a):,.{d_a}f}"
                           for x, (_, t) in zip(partes_txt, partes))
        suma_m = " + ".join(f"{x.normalize():f}" for x in prods_m)
        suma_a = " + ".join(f"{x.normalize():f}" for x in prods_a)
        return (f"{txt_m} {unidad} = {suma_m} = {soles(imp_m)}",
                f"{txt_a} {unidad} = {suma_a} = {soles(imp_a)}")

    def descuento(servicio: str, periodo: str) -> str:
        pct = dec(p[f"{servicio}_porcentaje_exonerado"])
        imp = dec(p[f"{servicio}_importe_{periodo}"])
        if pct == 0 or imp == 0:
            return ""
        ex, neto = p[f"{servicio}_exonerado_{periodo}"], p[f"{servicio}_{periodo}"]
        return (f"{_pct(pct)} de {soles(imp)} = {soles(ex)} → a pagar {soles(imp)} − "
                f"{soles(ex)} = {soles(neto)}")

    mensual, anual = [], []

    def agregar(servicio: str, m_txt: str, a_txt: str) -> None:
        nombre = NOMBRES_SERVICIO[servicio]
        mensual.append(f"{nombre}: {m_txt}")
        anual.append(f"{nombre}: {a_txt}")
        for lista, periodo in ((mensual, "mensual"), (anual, "anual")):
            d = descuento(servicio, periodo)
            if d:
                art = f" Art. {exo.articulo}" if exo else ""
                tipo = "Inafectación" if exo and exo.tipo == "inafectacion" else "Exoneración"
                lista.append(f"    {tipo}{art}: {d}")

    # barrido: un tramo por vía y cuadra; los tramos de una misma tasa se suman
    fr = resultado.frentes[resultado.frentes["codigo"] == p["codigo"]]
    if len(fr):
        tramos = []
        for _, f in fr.iterrows():
            via = f["via"] if isinstance(f.get("via"), str) else "vía sin nombre"
            cuadra = f" cdra. {f['cuadra']}" if pd.notna(f.get("cuadra")) else ""
            tramos.append((dec(f["longitud_dec"]), f["tasa_anual_ml"],
                           f"{via}{cuadra}, sector {f['sector_barrido']}"))
        por_tasa: dict[Decimal, list] = {}
        for t in tramos:
            por_tasa.setdefault(t[1], []).append(t)
        partes, textos = [], []
        for t, grupo in por_tasa.items():
            med = sum((g[0] for g in grupo), CERO)
            partes.append((med, t))
            if len(grupo) == 1:
                textos.append(f"frontis {grupo[0][0]:,.2f} ml ({grupo[0][2]})")
            else:
                textos.append("frontis (" + " + ".join(f"{g[0]:,.2f} ml {g[2]}" for g in grupo)
                              + f") = {med:,.2f} ml")
        agregar("barrido", *calculo("barrido", textos, partes, max(dm["barrido"], 5), "por ml"))
    else:
        agregar("barrido", "sin frontis sobre una vía de los sectores de barrido = S/ 0.00",
                "sin frontis sobre una vía de los sectores de barrido = S/ 0.00")
    # recolección
    tr = resultado.tasas["recoleccion"].get((p["zona_recoleccion"], uso))
    if tr is not None and dec(p["recoleccion_anual_bruto"]) > 0:
        area = redondear(dec(p["area_construida_m2"]), 2)
        agregar("recoleccion", *calculo(
            "recoleccion", [(f"área construida {area:,.2f} m² (zona {p['zona_recoleccion']}, "
                             f"uso {uso} {USOS.get(uso, '')})")],
            [(dec(p["area_construida_m2"]), tr[0])], max(dm["recoleccion"], 5), "por m²"))
    else:
        motivo = ("fuera de las zonas del servicio" if tr is None else
                  "sin área construida afecta (Art. 7.4 o uso que no genera residuos)")
        agregar("recoleccion", f"{motivo} = S/ 0.00", f"{motivo} = S/ 0.00")
    # parques
    tp = resultado.tasas["parques"].get(p["categoria_parques"])
    if tp is not None and dec(p["parques_anual_bruto"]) > 0:
        cat = next((c for c in o.parques.categorias if c.categoria == p["categoria_parques"]), None)
        nom = f": {cat.nombre}" if cat and cat.nombre else ""
        agregar("parques", *calculo("parques", [f"1 predio (categoría {p['categoria_parques']}{nom})"],
                                    [(Decimal(1), tp[0])], dm["parques"], "por predio"))
    else:
        agregar("parques", "fuera del ámbito del servicio = S/ 0.00",
                "fuera del ámbito del servicio = S/ 0.00")
    # serenazgo
    if dec(p["serenazgo_anual_bruto"]) > 0:
        agregar("serenazgo", *calculo(
            "serenazgo", [f"1 predio (uso {uso} {USOS.get(uso, '')}, zona {p['zona_serenazgo']})"],
            [(Decimal(1), dec(p["serenazgo_anual_bruto"]))], dm["serenazgo"], "por predio"))
    else:
        agregar("serenazgo", "fuera del ámbito del servicio = S/ 0.00",
                "fuera del ámbito del servicio = S/ 0.00")

    suma_m = " + ".join(soles(p[f"{s}_mensual"]) for s in SERVICIOS)
    suma_a = " + ".join(soles(p[f"{s}_anual"]) for s in SERVICIOS)
    lin += ["CUOTA MENSUAL", *mensual, "",
            f"TOTAL A PAGAR POR MES: {suma_m} = {soles(p['total_mensual'])}", "",
            "CUOTA ANUAL (importe anual = medida × tasa anual)", *anual, "",
            f"TOTAL A PAGAR EN EL AÑO: {suma_a} = {soles(p['total_anual'])}", "",
            ("Cada importe se redondea al céntimo (mitad hacia arriba). El importe anual se "
             "calcula con la tasa anual y no como 12 × la cuota mensual, por eso pueden diferir "
             "en algunos céntimos.")]
    return "\n".join(lin)
