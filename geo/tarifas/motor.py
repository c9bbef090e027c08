"""Modo catastro: los mismos cuadros de la ordenanza, con los agregados del catastro, y el arbitrio
de cada predio.

Cómo se calcula (y por qué cuadra al céntimo)
---------------------------------------------
1. Con el catastro se arman los agregados de cada cuadro (predios y frontis por sector, áreas
   construidas por zona y uso, predios por categoría y por uso); los datos que no salen del
   catastro (costos, frecuencias, t/día por zona, kg/predio/día, índices, incidencias) vienen de
   la ordenanza.
2. El motor de cada servicio da las tasas **sin redondear** (Decimal de 50 dígitos).
3. El arbitrio anual de cada predio = su medida (ml de frontis, m² construidos o 1 predio) × la
   tasa sin redondear. Así, la suma de los arbitrios de todos los predios afectos es exactamente el
   costo distribuido: Σ_predio medida × costo_grupo / Σ medida_grupo = costo_grupo.
4. La exoneración (Art. 7–8) se resta del arbitrio de cada predio y se informa; no se reparte.
5. Solo al final se redondea HALF-UP a céntimos; la diferencia entre el costo distribuido y la
   suma de montos redondeados es el **residuo de redondeo**, que se informa por servicio.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from geo.errores import ErrorDatos
from geo.esquema import USOS
from geo.ordenanza import NOMBRES_SERVICIO, SERVICIOS, Ordenanza
from geo.tarifas import barrido as m_barrido
from geo.tarifas import parques as m_parques
from geo.tarifas import recoleccion as m_recoleccion
from geo.tarifas import serenazgo as m_serenazgo
from geo.tarifas.cuadro import Cuadro
from geo.tarifas.dinero import CERO, con_contexto, dec, div, mul, redondear
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


def _decs(serie: pd.Series) -> list[Decimal]:
    return [dec(x) if x is not None and not (isinstance(x, float) and np.isnan(x)) else CERO
            for x in serie.to_numpy(dtype=object)]


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
    if (lon.isna() | (lon < 0)).any():
        raise ErrorDatos("hay frentes con longitud_m vacía o negativa")


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


@con_contexto
def calcular_tarifas(predios: pd.DataFrame, frentes: pd.DataFrame, ordenanza: Ordenanza
                     ) -> ResultadoTarifas:
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

    Returns
    -------
    ResultadoTarifas
        Los montos por predio usan las tasas SIN redondear, de modo que la suma de arbitrios más
        exoneraciones reproduce el costo distribuido; el redondeo HALF-UP a céntimos se aplica al
        final y su residuo se informa en ``conciliacion``.
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
    ajenos = ~F["codigo"].isin(P.index)
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
    F_b = F[~sin_sector & ~F["codigo"].isin(excluidos)].copy()
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
    por_predio = F_b.groupby("codigo")["barrido_anual"].agg(lambda s: sum(s, CERO))
    bruto["barrido"] = pd.Series([por_predio.get(c, CERO) for c in P.index], index=P.index,
                                 dtype=object)
    if sin_sector.any():
        avisos.append(f"{int(sin_sector.sum())} frentes fuera de los sectores de barrido "
                      "(no pagan barrido)")
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
    no_asignado_r = CERO
    for i, fz in enumerate(c19.filas):
        z = fz["zona"]
        Pz = Pr[Pr["zona_recoleccion"] == z]
        kg = o.recoleccion.generacion_kg_predio_dia.get(z, {})
        usos = sorted(set(Pz["uso"]))
        entrada = [{"uso": u, "predios": int((Pz["uso"] == u).sum()),
                    "kg_predio_dia": kg.get(u, CERO),
                    "area_m2": sum((area[c] for c in Pz.index[Pz["uso"] == u]), CERO)}
                   for u in usos]
        if not entrada or sum((mul(e["predios"], e["kg_predio_dia"]) for e in entrada), CERO) == 0:
            no_asignado_r += fz["costo_relativo"]
            if fz["costo_relativo"] > 0:
                avisos.append(f"recolección, zona {z}: sin predios que generen residuos; su costo "
                              f"({redondear(fz['costo_relativo'])}) queda sin distribuir")
            continue
        cu = m_recoleccion.distribuir_usos(fz["costo_relativo"], entrada, o.meses, z)
        cu.numero = str(20 + i)
        cuadros[cu.numero] = cu
        for f in cu.filas:
            t_r[(z, f["uso"])] = (f["tasa_anual_m2"], f["tasa_mensual_m2"])
            if f["costo_relativo"] > 0 and f["area_m2"] == 0:
                no_asignado_r += f["costo_relativo"]
                avisos.append(f"recolección, zona {z}, uso {f['uso']}: sin área construida; su "
                              f"costo ({redondear(f['costo_relativo'])}) queda sin distribuir")
    bruto["recoleccion"] = pd.Series(
        [mul(area[c], t_r.get((P.at[c, "zona_recoleccion"], P.at[c, "uso"]), (CERO,))[0])
         if amb_r[c] else CERO for c in P.index], index=P.index, dtype=object)
    tasas["recoleccion"] = t_r

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
    bruto["parques"] = pd.Series([t_p[P.at[c, "categoria_parques"]][0] if amb_p[c] else CERO
                                  for c in P.index], index=P.index, dtype=object)
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
    bruto["serenazgo"] = pd.Series([t_s.get((P.at[c, "uso"], zona_s[c]), CERO) if amb_s[c] else CERO
                                    for c in P.index], index=P.index, dtype=object)
    tasas["serenazgo"] = t_s

    # ---------------- exoneraciones, redondeo y conciliación
    no_asignado = {"barrido": no_asignado_b, "recoleccion": no_asignado_r,
                   "parques": no_asignado_p, "serenazgo": no_asignado_s}
    R = P[["codigo", "uso", "condicion", "zona_recoleccion", "sector_barrido",
           "categoria_parques", "frontis_m", "area_construida_m2", "predio_matriz",
           "participacion"]].copy()
    R["zona_serenazgo"] = zona_s
    conciliacion = {}
    total_m = pd.Series([CERO] * len(R), index=R.index, dtype=object)
    total_a = total_m.copy()
    exo_m = total_m.copy()
    for s in SERVICIOS:
        b = bruto[s]
        pct = porcentaje_exonerado(o, R["condicion"], s)
        ex = pd.Series([mul(x, p) / 100 for x, p in zip(b, pct)], index=R.index, dtype=object)
        neto = pd.Series([x - e for x, e in zip(b, ex)], index=R.index, dtype=object)
        R[f"{s}_anual_bruto"] = b
        R[f"{s}_porcentaje_exonerado"] = pct
        R[f"{s}_exonerado_anual"] = ex.map(redondear)
        R[f"{s}_exonerado_mensual"] = ex.map(lambda x: redondear(div(x, o.meses)))
        R[f"{s}_anual"] = neto.map(redondear)
        R[f"{s}_mensual"] = neto.map(lambda x: redondear(div(x, o.meses)))
        total_m = total_m + R[f"{s}_mensual"]
        total_a = total_a + R[f"{s}_anual"]
        exo_m = exo_m + R[f"{s}_exonerado_mensual"]
        costo = o.servicio(s).costo.total
        distribuido = costo - no_asignado[s]
        cobrado, exonerado = sum(R[f"{s}_anual"], CERO), sum(R[f"{s}_exonerado_anual"], CERO)
        conciliacion[s] = {
            "servicio": NOMBRES_SERVICIO[s],
            "costo": costo,
            "costo_sin_distribuir": no_asignado[s],
            "costo_distribuido": distribuido,
            "suma_exacta": sum(b, CERO),
            "predios_afectos": int(sum(1 for x in b if x > 0)),
            "cobrado_anual": cobrado,
            "exonerado_anual": exonerado,
            "residuo_redondeo": distribuido - cobrado - exonerado,
            "cobrado_mensual": sum(R[f"{s}_mensual"], CERO),
            "exonerado_mensual": sum(R[f"{s}_exonerado_mensual"], CERO),
        }
    R["exoneracion"] = exo_m
    R["total_mensual"] = total_m
    R["total_anual"] = total_a
    F_b["barrido_anual_bruto"] = F_b["barrido_anual"]
    for a in avisos:
        log.warning(a)
    return ResultadoTarifas(o, R.reset_index(drop=True), F_b.reset_index(drop=True), cuadros,
                            tasas, conciliacion, avisos)


@con_contexto
def liquidacion(codigo: str, resultado: ResultadoTarifas) -> str:
    """Liquidación de un predio, como la lee el contribuyente; cada línea se rehace a mano.

    Las tasas se muestran con 6 decimales; el monto sale de la tasa sin redondear, así que en
    casos raros el producto de las cifras mostradas difiere en un céntimo del monto liquidado.
    """
    o = resultado.ordenanza
    R = resultado.predios
    fila = R[R["codigo"] == str(codigo)]
    if fila.empty:
        raise ErrorDatos(f"el predio {codigo} no está en el resultado de tarifas")
    p = fila.iloc[0]
    m = o.meses
    uso = int(p["uso"])
    lin = [f"LIQUIDACIÓN DE ARBITRIOS {o.meta.get('ejercicio', '')} — {o.meta.get('municipalidad', '')}",
           f"Predio {p['codigo']} · uso {uso} {USOS.get(uso, '')}"
           + (f" · unidad del predio matriz {p['predio_matriz']}"
              if isinstance(p.get("predio_matriz"), str) and p["predio_matriz"] else ""), ""]

    def t6(x):
        return f"{redondear(x, 6):,.6f}"

    def s2(x):
        return f"S/ {redondear(x, 2):,.2f}"

    # barrido
    fr = resultado.frentes[resultado.frentes["codigo"] == p["codigo"]]
    bruto = p["barrido_anual_bruto"]
    if len(fr):
        lin.append("Barrido de calles (frontis × tasa mensual por ml del sector):")
        for _, f in fr.iterrows():
            tm = div(f["tasa_anual_ml"], m)
            via = f" {f['via']}" if isinstance(f.get("via"), str) else ""
            cuadra = f" cdra. {f['cuadra']}" if pd.notna(f.get("cuadra")) else ""
            lin.append(f"  {via.strip()}{cuadra} (sector {f['sector_barrido']}): frontis "
                       f"{redondear(f['longitud_dec'], 2):,.2f} ml × S/ {t6(tm)} = "
                       f"{s2(div(f['barrido_anual'], m))}")
    else:
        lin.append("Barrido de calles: sin frontis en sectores de barrido — S/ 0.00")
    lin += _exo(p, "barrido", bruto, o)
    # recolección
    tr = resultado.tasas["recoleccion"].get((p["zona_recoleccion"], uso))
    if tr is not None:
        lin.append(f"Recolección de residuos sólidos (zona {p['zona_recoleccion']}, uso {uso}): "
                   f"área construida {redondear(dec(p['area_construida_m2']), 2):,.2f} m² × "
                   f"S/ {t6(tr[1])} por m² = {s2(div(p['recoleccion_anual_bruto'], m))}")
    else:
        lin.append("Recolección de residuos sólidos: fuera del ámbito del servicio — S/ 0.00")
    lin += _exo(p, "recoleccion", p["recoleccion_anual_bruto"], o)
    # parques
    tp = resultado.tasas["parques"].get(p["categoria_parques"])
    if tp and p["parques_anual_bruto"] > 0:
        lin.append(f"Parques y jardines (categoría {p['categoria_parques']}): tasa mensual por "
                   f"predio S/ {t6(tp[1])} = {s2(div(p['parques_anual_bruto'], m))}")
    else:
        lin.append("Parques y jardines: fuera del ámbito del servicio — S/ 0.00")
    lin += _exo(p, "parques", p["parques_anual_bruto"], o)
    # serenazgo
    if p["serenazgo_anual_bruto"] > 0:
        lin.append(f"Serenazgo (uso {uso}, zona {p['zona_serenazgo']}): tasa mensual por predio "
                   f"S/ {t6(div(p['serenazgo_anual_bruto'], m))} = "
                   f"{s2(div(p['serenazgo_anual_bruto'], m))}")
    else:
        lin.append("Serenazgo: fuera del ámbito del servicio — S/ 0.00")
    lin += _exo(p, "serenazgo", p["serenazgo_anual_bruto"], o)
    lin += ["",
            "A pagar por mes: " + " + ".join(f"{s2(p[f'{s}_mensual'])}" for s in SERVICIOS)
            + f" = {s2(p['total_mensual'])}",
            f"A pagar en el año: {s2(p['total_anual'])}"
            + (f" (exonerado en el mes: {s2(p['exoneracion'])})" if p["exoneracion"] > 0 else ""),
            "Cada monto se redondea al céntimo (mitad hacia arriba) después de multiplicar por la "
            "tasa sin redondear."]
    return "\n".join(lin)


def _exo(p, servicio: str, bruto: Decimal, o: Ordenanza) -> list[str]:
    pct = p[f"{servicio}_porcentaje_exonerado"]
    if not pct or bruto == 0:
        return []
    exo = o.exoneraciones.get(p["condicion"])
    art = f"Art. {exo.articulo}" if exo else ""
    m = o.meses
    return [f"  − {'Inafectación' if exo and exo.tipo == 'inafectacion' else 'Exoneración'} "
            f"({p['condicion']}, {art}): {pct} % de S/ {redondear(div(bruto, m), 2):,.2f} = "
            f"S/ {p[f'{servicio}_exonerado_mensual']:,.2f}; queda S/ {p[f'{servicio}_mensual']:,.2f}"]
