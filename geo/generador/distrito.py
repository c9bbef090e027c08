"""El distrito de ejemplo calibrado: predios con usos, áreas, exoneraciones y capas de zonas."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.config import CONFIG, Config
from geo.esquema import CAPAS
from geo.generador import trazado as tr
from geo.generador.datos import cargar_datos

log = logging.getLogger(__name__)

# Usos de área construida grande: ocupan los lotes más grandes (orden de preferencia).
_USOS_GRANDES = (5, 6, 3, 4)
_TOPE_CONSTRUIDA = 19.5  # × área de terreno (la validación marca > 20×)
_UNIDADES_PH = 1024  # participaciones en múltiplos de 1/1024: suman 1.0 exacto en coma flotante


# ---------------------------------------------------------------------------------------------
# Cantidades
# ---------------------------------------------------------------------------------------------


def _metas_rurales(met: dict) -> dict[int, int]:
    """Predios construidos rurales por uso: distrito − zona A − zona B (sin negativos)."""
    return {u: max(met["distrito_predios"][u] - met["zona_a_predios"].get(u, 0)
                   - met["zona_b_predios"].get(u, 0), 0)
            for u in met["distrito_predios"] if u != 7}


def _cantidades(d: dict) -> dict:
    met = d["metas"]
    ph = d["ph"]
    ph_a = [e for e in ph if e["zona"] == "A"]
    ph_b = [e for e in ph if e["zona"] == "B"]
    unidades = lambda es: sum(sum(e["unidades"].values()) for e in es)  # noqa: E731
    extra_a = unidades(ph_a) - len(ph_a)
    extra_b = unidades(ph_b) - len(ph_b)
    ter = met["terrenos"]
    totales = {
        "centro": met["zona_a_dentro_zona_urbana"] - extra_a + ter["zona_a_centro"],
        "periferia": met["zona_a_fuera_zona_urbana"] + ter["zona_a_periferia"],
        "rural": sum(_metas_rurales(met).values()) + ter["rural"],
    }
    centros = d["zona_b"]["centros"]
    n_b = sum(met["zona_b_predios"].values()) - extra_b + ter["zona_b"]
    por_centro = tr._repartir_enteros(n_b, np.array([c["peso"] for c in centros]))
    lotes_b = {c["nombre"]: int(n) for c, n in zip(centros, por_centro)}
    for c in centros:
        totales[f"B:{c['nombre']}"] = lotes_b[c["nombre"]]
    inter = met["interiores"]
    interiores = {"centro": inter["zona_a_centro"], "periferia": inter["zona_a_periferia"]}
    for k in range(inter["zona_b"]):
        interiores[f"B:{centros[k]['nombre']}"] = 1
    return {"totales": totales, "lotes_b": lotes_b, "interiores": interiores,
            "ph_a": ph_a, "ph_b": ph_b}


def repartir_area(total: float, pesos: np.ndarray, topes: np.ndarray) -> np.ndarray:
    """Reparte ``total`` (m²) proporcional a ``pesos`` sin pasar de ``topes`` (m²) por elemento."""
    pesos = np.asarray(pesos, dtype=float)
    topes = np.asarray(topes, dtype=float)
    if topes.sum() < total:
        raise ValueError(f"no caben {total:.2f} m² construidos bajo los topes ({topes.sum():.2f})")
    x = np.zeros_like(pesos)
    libre = np.ones(len(pesos), dtype=bool)
    restante = total
    while True:
        x[libre] = restante * pesos[libre] / pesos[libre].sum()
        exceso = libre & (x > topes)
        if not exceso.any():
            return x
        x[exceso] = topes[exceso]
        libre &= ~exceso
        restante = total - x[~libre].sum()


# ---------------------------------------------------------------------------------------------
# Generación del distrito base
# ---------------------------------------------------------------------------------------------


def distrito_base(semilla: int = 466, config: Config = CONFIG) -> dict[str, gpd.GeoDataFrame]:
    """Genera el distrito calibrado (≈6,480 predios). Ver ``geo.generador.generar_distrito``."""
    d = cargar_datos()
    rng = np.random.default_rng(semilla)
    cant = _cantidades(d)

    tz = tr.trazar(d, rng, cant["lotes_b"])
    tr.reservar_medias_ph(tz, cant["ph_a"], rng)
    anchos = {"centro": (d["urbano"]["lote_ancho_m"][0], 16.0),
              "periferia": tuple(d["urbano"]["lote_ancho_m"]),
              "B": tuple(d["zona_b"]["lote_ancho_m"]),
              "rural": tuple(d["rural"]["lote_ancho_m"])}
    lotes = tr.lotear(tz, cant["totales"], cant["interiores"], anchos, rng)

    # --- geometría de los lotes, deformación urbana
    defo = tz.deformacion
    anillos = lotes["anillo"].to_list()
    coords = np.concatenate(anillos)
    idx = np.repeat(np.arange(len(anillos)), [len(a) for a in anillos])
    urbano = (lotes["marco"] == "urbano").to_numpy()
    en_urbano = urbano[idx]
    coords[en_urbano] = tr.deformar_urbano(coords[en_urbano], defo)
    geom = shapely.polygons(shapely.linearrings(coords, indices=idx))
    lotes = lotes.drop(columns="anillo")
    lotes["geometry"] = geom
    lotes["area"] = shapely.area(geom)
    lotes["zona"] = np.where(urbano, "A", np.where(lotes["region"].str.startswith("B:"), "B", "R"))

    predios = _predios(d, tz, lotes, cant, rng)
    capas = _capas(d, tz, predios, rng, config)
    return capas


def _predios(d: dict, tz: tr.Trazado, lotes: pd.DataFrame, cant: dict,
             rng: np.random.Generator) -> pd.DataFrame:
    met = d["metas"]
    lotes = lotes.reset_index(drop=True)
    lotes["uso"] = 0
    lotes["ph"] = -1  # índice del edificio si el lote es huella de un predio matriz

    # --- huellas de propiedad horizontal
    for i, e in enumerate(cant["ph_a"]):
        cand = lotes.index[lotes["reservada"] == f"ph:{i}"]
        lotes.loc[lotes.loc[cand, "area"].idxmax(), "ph"] = i
    ph_b0 = len(cant["ph_a"])
    for i, e in enumerate(cant["ph_b"]):
        cand = lotes.index[(lotes["region"] == f"B:{e['centro']}") & ~lotes["interior"]
                           & (lotes["reservada"] == "") & (lotes["ph"] < 0)]
        lotes.loc[rng.choice(cand), "ph"] = ph_b0 + i

    # --- terrenos sin construir
    ter = met["terrenos"]
    libres = (lotes["ph"] < 0) & (lotes["reservada"] != "grande")
    for mascara, k in ((lotes["region"] == "centro", ter["zona_a_centro"]),
                       (lotes["region"] == "periferia", ter["zona_a_periferia"]),
                       (lotes["zona"] == "B", ter["zona_b"]),
                       (lotes["zona"] == "R", ter["rural"])):
        cand = lotes.index[mascara & libres & ~lotes["reservada"].str.startswith("ph")]
        lotes.loc[rng.choice(cand, size=k, replace=False), "uso"] = 7

    # --- usos de los lotes construidos, por zona
    edificios = cant["ph_a"] + cant["ph_b"]
    en_avenida = (lotes["via"] == "Av. San Martín").to_numpy()
    for zona, metas in (("A", met["zona_a_predios"]), ("B", met["zona_b_predios"]),
                        ("R", _metas_rurales(met))):
        metas = dict(metas)
        for e in edificios:
            if e["zona"] == zona:
                for u, k in e["unidades"].items():
                    metas[u] -= k
        cand = lotes.index[(lotes["zona"] == zona) & (lotes["uso"] == 0) & (lotes["ph"] < 0)]
        assert len(cand) == sum(metas.values()), (zona, len(cand), sum(metas.values()))
        puntaje = lotes.loc[cand, "area"].to_numpy() * rng.lognormal(0.0, 0.35, len(cand))
        orden = cand[np.argsort(-puntaje, kind="stable")]
        k0 = 0
        for u in _USOS_GRANDES:
            k = metas.get(u, 0)
            lotes.loc[orden[k0:k0 + k], "uso"] = u
            k0 += k
        resto = orden[k0:]
        k2 = metas.get(2, 0)
        peso = np.where(en_avenida[resto], 4.0, 1.0) * np.where(
            lotes.loc[resto, "region"].to_numpy() == "centro", 2.0, 1.0)
        com = rng.choice(resto, size=k2, replace=False, p=peso / peso.sum())
        lotes.loc[com, "uso"] = 2
        resto = rng.permutation(np.setdiff1d(resto, com))
        k0 = 0
        for u in (1, 8, 9, 10):
            k = metas.get(u, 0)
            lotes.loc[resto[k0:k0 + k], "uso"] = u
            k0 += k
        assert k0 == len(resto)

    # --- unidades de propiedad horizontal: filas extra con la huella del matriz
    filas = [lotes.assign(unidad=0, participacion=np.nan, huella=lotes["area"])]
    for i, e in enumerate(edificios):
        base = lotes.loc[lotes["ph"] == i]
        usos = [u for u, k in sorted(e["unidades"].items()) for _ in range(k)]
        peso = np.array([3.0 if u == 10 else rng.uniform(0.5, 1.5) for u in usos])
        part = np.maximum(tr._repartir_enteros(_UNIDADES_PH - len(usos), peso), 0) + 1
        u = base.loc[base.index.repeat(len(usos))].copy()
        u["uso"] = usos
        u["unidad"] = np.arange(1, len(usos) + 1)
        u["participacion"] = part / _UNIDADES_PH
        u["huella"] = base["area"].iloc[0]
        filas.append(u)
    pr = pd.concat(filas, ignore_index=True)
    pr = pr[~((pr["ph"] >= 0) & (pr["unidad"] == 0))].reset_index(drop=True)
    es_ph = pr["unidad"] > 0
    pr["area_terreno_m2"] = np.where(es_ph, pr["huella"] * pr["participacion"], pr["area"])

    # --- exonerados e inafectos
    pr["condicion"] = None
    pr["subuso"] = None
    _exonerar(d, tz, pr, rng)

    # --- área construida
    pr["area_construida_m2"] = 0.0
    for zona, metas in (("A", met["zona_a_area_m2"]), ("B", met["zona_b_area_m2"])):
        for u, total in metas.items():
            sel = pr.index[(pr["zona"] == zona) & (pr["uso"] == u)]
            base = np.where(es_ph[sel], pr.loc[sel, "huella"], pr.loc[sel, "area_terreno_m2"])
            peso = (np.where(pr.loc[sel, "uso"] == 10, pr.loc[sel, "huella"],
                             pr.loc[sel, "area_terreno_m2"]) * rng.uniform(0.6, 1.5, len(sel)))
            pr.loc[sel, "area_construida_m2"] = repartir_area(total, peso, _TOPE_CONSTRUIDA * base)
    rangos = {1: (60, 220), 2: (40, 350), 3: (200, 1500), 4: (150, 2500), 5: (200, 3000),
              6: (150, 1500), 8: (30, 120), 9: (20, 60), 10: (50, 300)}
    rural = (pr["zona"] == "R") & (pr["uso"] != 7)
    bajo = np.array([rangos[u][0] for u in pr.loc[rural, "uso"]])
    alto = np.array([rangos[u][1] for u in pr.loc[rural, "uso"]])
    pr.loc[rural, "area_construida_m2"] = np.minimum(
        rng.uniform(bajo, alto), _TOPE_CONSTRUIDA * pr.loc[rural, "area_terreno_m2"])
    pr["area_construida_m2"] = pr["area_construida_m2"].round(2)
    pr["area_terreno_m2"] = pr["area_terreno_m2"].round(2)

    _atributos(d, tz, pr, rng)
    return pr


def _exonerar(d: dict, tz: tr.Trazado, pr: pd.DataFrame, rng: np.random.Generator) -> None:
    """Marca ``condicion`` y el subuso de los predios exonerados/inafectos (metas exactas)."""
    exo = d["metas"]["exonerados"]
    libre = pr["condicion"].isna() & (pr["unidad"] == 0)
    plaza = shapely.points(*tr.deformar_urbano(tz.plaza[None, :], tz.deformacion)[0])
    dist_plaza = shapely.distance(shapely.centroid(pr["geometry"].to_numpy()), plaza)

    def marcar(idx, clase, subuso):
        pr.loc[idx, "condicion"] = clase
        pr.loc[idx, "subuso"] = subuso
        libre.loc[idx] = False

    def elegir(zona, uso, k, orden=None):
        cand = pr.index[libre & (pr["zona"] == zona) & (pr["uso"] == uso)]
        if orden == "plaza":
            return cand[np.argsort(dist_plaza[cand], kind="stable")[:k]]
        if orden == "grande":
            return cand[np.argsort(-pr.loc[cand, "area_terreno_m2"].to_numpy(), kind="stable")[:k]]
        return rng.choice(cand, size=k, replace=False)

    # la iglesia y el palacio municipal, frente a la plaza; el hospital, el lote más grande
    marcar(elegir("A", 6, 1, "plaza"), "iglesia_catolica", "Culto")
    marcar(elegir("A", 6, 1, "plaza"), "municipalidad", "Administración pública")
    marcar(elegir("A", 5, 1, "grande"), "salud_estatal", "Salud")
    marcar(elegir("A", 5, exo["educacion_estatal"]["zona_a"]), "educacion_estatal", "Educativo")
    marcar(elegir("A", 5, exo["educacion_privada"]["zona_a"]), "educacion_privada", "Educativo")
    marcar(elegir("A", 6, exo["municipalidad"]["zona_a"] - 1), "municipalidad",
           "Administración pública")
    marcar(elegir("A", 6, exo["bomberos"]["zona_a"]), "bomberos", "Seguridad")
    marcar(elegir("A", 6, exo["pnp"]["zona_a"]), "pnp", "Seguridad")
    subuso_rural = {4: "Losa deportiva", 5: "Camal"}
    for clase in ("municipalidad", "pnp"):
        for uso, k in exo[clase].get("rural", {}).items():
            marcar(elegir("R", uso, k), clase, "Seguridad" if clase == "pnp" else subuso_rural[uso])
    for clase, e in exo.items():
        if e.get("terrenos"):
            marcar(elegir("A", 7, e["terrenos"]), clase, None)


def _atributos(d: dict, tz: tr.Trazado, pr: pd.DataFrame, rng: np.random.Generator) -> None:
    """Subuso, habitantes, dirección, contribuyente, documento, barrio, frontis y código."""
    at = d["atributos"]
    n = len(pr)
    urb = d["urbano"]

    # subuso
    sin = pr["subuso"].isna() & (pr["uso"] != 7)
    for u, opciones in at["subusos"].items():
        sel = pr.index[sin & (pr["uso"] == u)]
        pr.loc[sel, "subuso"] = rng.choice(opciones, size=len(sel))

    # habitantes (0 = no es casa habitación)
    pr["habitantes"] = np.where(pr["uso"] == 1,
                                rng.choice(np.arange(1, 9), size=n,
                                           p=[.08, .14, .2, .22, .16, .1, .06, .04]), 0)

    # barrio (por celda urbana) y sector catastral del código
    celdas = pd.DataFrame(tz.celdas)
    barrio_celda = np.full(len(celdas), d["urbano"]["barrio_rural"], dtype=object)
    sector_celda = np.zeros(len(celdas), dtype=int)
    for k, (nombre, c0, c1, f0, f1) in enumerate(urb["barrios"]):
        sel = celdas["col"].between(c0, c1) & celdas["fila"].between(f0, f1)
        barrio_celda[sel.to_numpy()] = nombre
        sector_celda[sel.to_numpy()] = k + 1
    es_a = (pr["zona"] == "A").to_numpy()
    celda = pr["celda"].to_numpy()
    pr["barrio"] = np.where(es_a, barrio_celda[np.where(es_a, celda, 0)], urb["barrio_rural"])
    nombres_b = [c["nombre"] for c in d["zona_b"]["centros"]]
    sector = np.where(es_a, np.char.zfill(sector_celda[np.where(es_a, celda, 0)].astype(str), 2),
                      pr["marco"].to_numpy().astype(str))
    es_b = (pr["zona"] == "B").to_numpy()
    sector[es_b] = ["C" + str(nombres_b.index(m) + 1) for m in pr.loc[es_b, "marco"]]

    # código: ubigeo-sector-manzana-lote; manzanas numeradas dentro de cada sector
    pr["_sector"] = sector
    mz = pr[["_sector", "manzana"]].drop_duplicates().sort_values(["_sector", "manzana"])
    mz["n_mz"] = mz.groupby("_sector").cumcount() + 1
    pr["_n_mz"] = pr.merge(mz, on=["_sector", "manzana"], how="left")["n_mz"].to_numpy()
    matriz = pr["unidad"] == 0
    pr["_n_lote"] = 0
    pr.loc[matriz | (pr["unidad"] == 1), "_n_lote"] = (
        pr.loc[matriz | (pr["unidad"] == 1)].groupby("manzana").cumcount() + 1)
    pr["_n_lote"] = pr.groupby("ph")["_n_lote"].transform("max").where(pr["ph"] >= 0,
                                                                        pr["_n_lote"])
    ubigeo = d["ubicacion"]["ubigeo"]
    base = [f"{ubigeo}-{s}-{m:03d}-{lo:03d}"
            for s, m, lo in zip(pr["_sector"], pr["_n_mz"], pr["_n_lote"])]
    pr["predio_matriz"] = np.where(pr["unidad"] > 0, base, None)
    pr["codigo"] = [b if u == 0 else f"{b}-{u:03d}" for b, u in zip(base, pr["unidad"])]

    # dirección
    numero = ((pr["cuadra"] - 1) * 100 + 2 * np.floor(pr["pos"] * 48).astype(int) + 1
              + pr["par"].astype(int))
    direc = pr["via"] + " " + numero.astype(str)
    rural = pr["zona"] == "R"
    direc[rural] = pr.loc[rural, "via"] + " Parcela " + pr.loc[rural, "_n_lote"].astype(str)
    direc[pr["interior"]] = direc[pr["interior"]] + " Int. 2"
    direc[pr["unidad"] > 0] = direc[pr["unidad"] > 0] + " Int. " + pr.loc[
        pr["unidad"] > 0, "unidad"].astype(str)
    pr["direccion"] = direc

    # contribuyentes: personas (DNI) y empresas (RUC); instituciones para los exonerados
    nom = rng.choice(at["nombres"], n)
    ap1, ap2 = rng.choice(at["apellidos"], n), rng.choice(at["apellidos"], n)
    persona = pd.Series(nom).str.cat([pd.Series(ap1), pd.Series(ap2)], sep=" ").to_numpy()
    dni = np.char.zfill(rng.integers(1_000_000, 48_000_000, n).astype(str), 8)
    empresa_p = np.isin(pr["uso"], [2, 3]) & (rng.random(n) < 0.18)
    plantilla = rng.choice(at["empresas"], n)
    empresas = np.array([p.format(a=a) for p, a in zip(plantilla, ap1)], dtype=object)
    ruc_emp = np.char.add("20", rng.integers(100_000_000, 999_999_999, n).astype(str))
    ruc_pn = np.char.add(np.char.add("10", dni), rng.integers(0, 10, n).astype(str))
    con_ruc = np.isin(pr["uso"], [2, 3]) & ~empresa_p & (rng.random(n) < 0.4)
    pr["contribuyente"] = np.where(empresa_p, empresas, persona)
    pr["documento"] = np.where(empresa_p, ruc_emp, np.where(con_ruc, ruc_pn, dni))
    inst = at["instituciones"]
    for clase, (nombre, ruc) in inst.items():
        sel = pr["condicion"] == clase
        pr.loc[sel, "contribuyente"] = nombre
        pr.loc[sel, "documento"] = ruc
    priv = pr.index[pr["condicion"] == "educacion_privada"]
    pr.loc[priv, "contribuyente"] = [f"I.E.P. {a}" for a in rng.choice(at["apellidos"], len(priv))]
    pr.loc[priv, "documento"] = np.char.add(
        "20", rng.integers(100_000_000, 999_999_999, len(priv)).astype(str))

    # frontis declarado (HAD): ~40 % de los lotes urbanos con frente; ~5 % de ellos errados
    cand = pr.index[(pr["zona"] != "R") & (pr["unidad"] == 0) & ~pr["interior"]]
    decl = rng.choice(cand, size=round(at["fraccion_frontis_declarado"] * len(cand)),
                      replace=False)
    fr = pr.loc[decl, "frente_m"].to_numpy()
    valor = fr * (1 + rng.normal(0, 0.02, len(decl)))
    malos = rng.random(len(decl)) < at["fraccion_frontis_erroneo"]
    desvio = np.maximum(2.5, 0.2 * fr) * rng.uniform(1.0, 2.0, len(decl))
    signo = np.where((rng.random(len(decl)) < 0.5) & (fr - desvio > 2.0), -1.0, 1.0)
    valor = np.where(malos, fr + signo * desvio, valor)
    pr["frontis_declarado_m"] = np.nan
    pr.loc[decl, "frontis_declarado_m"] = np.round(valor, 2)


# ---------------------------------------------------------------------------------------------
# Capas
# ---------------------------------------------------------------------------------------------


def _serpentina(celdas: pd.DataFrame) -> np.ndarray:
    """Orden en serpentina por columnas: celdas consecutivas siempre son vecinas."""
    fila = np.where(celdas["col"] % 2 == 0, celdas["fila"], -celdas["fila"])
    return np.lexsort((fila, celdas["col"].to_numpy()))


def _cortes(valores: np.ndarray, metas: list[float]) -> np.ndarray:
    """Asigna a cada elemento (ya ordenado) el grupo cuyo acumulado meta está más cerca."""
    acum = np.cumsum(valores) - valores / 2
    limites = np.cumsum(metas) / np.sum(metas) * valores.sum()
    return np.searchsorted(limites[:-1], acum, side="right")


def _unir(geoms) -> shapely.Geometry:
    # las celdas vecinas comparten lados segmentados por separado: se ajustan a una malla de 1 mm
    return shapely.union_all(np.asarray(geoms), grid_size=0.001)


def _capas(d: dict, tz: tr.Trazado, pr: pd.DataFrame, rng: np.random.Generator,
           config: Config) -> dict[str, gpd.GeoDataFrame]:
    met = d["metas"]
    urb = d["urbano"]
    defo = tz.deformacion
    ox, oy = d["ubicacion"]["este_m"], d["ubicacion"]["norte_m"]

    def deformar(g):
        return shapely.transform(shapely.segmentize(g, 20.0), lambda xy: tr.deformar_urbano(xy, defo))

    # --- celdas urbanas deformadas
    celdas = pd.DataFrame(tz.celdas)
    cel_geom = deformar(shapely.polygons(np.stack(celdas["geometry"].to_list())))
    es_a = pr["zona"] == "A"
    construidos = pr[es_a & (pr["uso"] != 7)].groupby("celda").size()
    con_frente = pr[es_a & ~pr["interior"]].groupby("celda").size()
    celdas["construidos"] = construidos.reindex(celdas.index, fill_value=0).to_numpy()
    celdas["con_frente"] = con_frente.reindex(celdas.index, fill_value=0).to_numpy()
    orden = _serpentina(celdas)

    barrido = met["barrido_predios"]
    g_barrido = np.empty(len(celdas), dtype=int)
    g_barrido[orden] = _cortes(celdas["con_frente"].to_numpy()[orden],
                               [barrido[k] for k in sorted(barrido)])
    reco = met["recoleccion_sectores"]
    nombres_reco = list(reco)
    g_reco = np.empty(len(celdas), dtype=int)
    g_reco[orden] = _cortes(celdas["construidos"].to_numpy()[orden], list(reco.values()))

    zona_a = _unir(cel_geom)
    centro = _unir(cel_geom[(celdas["region"] == "centro").to_numpy()])
    cp = pd.DataFrame(tz.centros)
    zona_b = shapely.union_all(cp["geometry"].to_numpy())

    # --- distrito: rectángulo que contiene todo, con margen
    mg = d["ubicacion"]["margen_distrito_m"]
    cajas = [shapely.bounds(np.asarray(pr["geometry"].to_numpy())),
             shapely.bounds(np.array([zona_a, zona_b]))]

    # --- vías
    vias = pd.DataFrame(tz.vias)
    es_urb = (vias["marco"] == "urbano").to_numpy()
    vg = vias["geometry"].to_numpy().copy()
    vg[es_urb] = shapely.transform(vg[es_urb], lambda xy: tr.deformar_urbano(xy, defo))
    vias["geometry"] = vg
    sin_ancho = (rng.random(len(vias)) < d["atributos"]["fraccion_via_sin_ancho"]) & (
        vias["tipo"] != "avenida").to_numpy()
    vias["ancho_m"] = vias["ancho_m"].astype(float).where(~sin_ancho, np.nan)
    cajas.append(shapely.bounds(vg))

    # --- áreas verdes
    av = pd.DataFrame(tz.areas_verdes)
    avg = av["geometry"].to_numpy().copy()
    es_urb = (av["marco"] == "urbano").to_numpy()
    avg[es_urb] = deformar(avg[es_urb])
    av["geometry"] = avg
    bm = d["areas_verdes"]["berma"]
    piezas = tr.berma_central(tz, bm["area_m2"])
    n_urb = len(tz.marcos["berma_urbana"])
    pg = shapely.polygons(np.stack(piezas))
    pg[:n_urb] = shapely.transform(shapely.segmentize(pg[:n_urb], 10.0),
                                   lambda xy: tr.deformar_urbano(xy, defo))
    av = pd.concat([av, pd.DataFrame([{
        "geometry": shapely.multipolygons(pg), "nombre": bm["nombre"], "tipo": bm["tipo"],
        "area_mantenimiento_m2": bm["mantenimiento_m2"]}])], ignore_index=True)

    cajas.append(shapely.bounds(np.concatenate([avg, pg])))
    cajas = np.vstack(cajas)
    distrito = shapely.box(cajas[:, 0].min() - mg, cajas[:, 1].min() - mg,
                           cajas[:, 2].max() + mg, cajas[:, 3].max() + mg)

    filas_barrios = []
    for nombre, c0, c1, f0, f1 in urb["barrios"]:
        m = celdas["col"].between(c0, c1) & celdas["fila"].between(f0, f1)
        filas_barrios.append({"barrio": nombre, "geometry": _unir(cel_geom[m.to_numpy()])})
    filas_barrios.append({"barrio": urb["barrio_rural"],
                          "geometry": shapely.difference(distrito, zona_a)})

    capas_crudas = {
        "predios": pr,
        "vias": vias,
        "sectores_barrido": pd.DataFrame(
            [{"sector": str(k), "frecuencia_semanal": met["barrido_frecuencia_semanal"],
              "geometry": _unir(cel_geom[g_barrido == i])} for i, k in enumerate(sorted(barrido))]),
        "zonas_recoleccion": pd.DataFrame([{"zona": "A", "geometry": zona_a},
                                           {"zona": "B", "geometry": zona_b}]),
        "sectores_recoleccion": pd.DataFrame(
            [{"sector": s, "zona": "A", "geometry": _unir(cel_geom[g_reco == i])}
             for i, s in enumerate(nombres_reco)]
            + [{"sector": r["nombre"], "zona": "B", "geometry": r["geometry"]}
               for _, r in cp.iterrows()]),
        "areas_verdes": av,
        "distrito": pd.DataFrame([{"nombre": d["ubicacion"]["distrito"], "geometry": distrito}]),
        "zona_urbana": pd.DataFrame([{"nombre": "Zona urbana de Oxapampa", "geometry": centro}]),
        "zonas_serenazgo": pd.DataFrame([{"zona": "Comisaría de Oxapampa",
                                          "indice_peligrosidad": 1.0, "geometry": distrito}]),
        "barrios": pd.DataFrame(filas_barrios),
    }
    salida = {}
    for nombre, df in capas_crudas.items():
        g = shapely.transform(np.asarray(df["geometry"].to_numpy()), lambda xy: xy + (ox, oy))
        salida[nombre] = a_esquema(nombre, df, g, config)
    return salida


def a_esquema(nombre: str, df: pd.DataFrame, geom, config: Config) -> gpd.GeoDataFrame:
    """GeoDataFrame con exactamente las columnas del esquema y sus tipos."""
    capa = CAPAS[nombre]
    cols = {}
    for c in capa.columnas:
        if c.nombre in df.columns:
            v = df[c.nombre]
        else:
            v = pd.Series([None] * len(df), index=df.index)
        if c.tipo == "entero":
            v = v.astype("int64")
        elif c.tipo == "real":
            v = pd.to_numeric(v, errors="coerce").astype("float64")
        else:
            v = v.to_numpy(dtype=object, copy=True)
            v[pd.isna(v)] = None
            cols[c.nombre] = v
            continue
        cols[c.nombre] = v.to_numpy()
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries(np.asarray(geom), crs=config.crs_metrico),
                            crs=config.crs_metrico)
