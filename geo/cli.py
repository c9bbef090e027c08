"""La orden ``catastro``: interfaz de línea de órdenes, en español.

Cada suborden es una función ``_orden_<nombre>(args) -> int`` que devuelve el código de salida:
0 correcto, 1 errores en los datos, 2 no se pudo leer la entrada, 3 error interno (un defecto
del programa: infórmelo). Los errores conocidos (``ErrorCatastro``) se muestran como un mensaje
en español, nunca como una traza; ``CATASTRO_DEPURAR=1`` muestra la traza a quien desarrolla.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from geo import __version__
from geo.errores import (
    SALIDA_DATOS,
    SALIDA_LECTURA,
    SALIDA_OK,
    ErrorCatastro,
    ErrorDatos,
    cuenta,
)

SALIDA_INTERNA = 3
ALMACEN_POR_DEFECTO = Path("capas/oxapampa.gpkg")

log = logging.getLogger("geo")


# ---------------------------------------------------------------------------------------------
# argparse en español

_TRADUCCIONES = {
    "usage: ": "uso: ",
    "positional arguments": "argumentos",
    "options": "opciones",
    "show this help message and exit": "muestra esta ayuda y termina",
    "the following arguments are required: %s": "faltan los argumentos: %s",
    "unrecognized arguments: %s": "argumentos no reconocidos: %s",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "opción inválida: %(value)r (elija entre %(choices)s)",
    "argument %(argument_name)s: %(message)s": "argumento %(argument_name)s: %(message)s",
    "invalid %(type)s value: %(value)r": "valor %(type)s inválido: %(value)r",
    "expected one argument": "se esperaba un valor",
    "%(prog)s: error: %(message)s\n": "%(prog)s: error: %(message)s\n",
    "ambiguous option: %(option)s could match %(matches)s":
        "opción ambigua: %(option)s puede ser %(matches)s",
}
argparse._ = lambda texto: _TRADUCCIONES.get(texto, texto)  # argparse usa gettext; sin catálogo


class _Formato(argparse.RawDescriptionHelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, "uso: " if prefix is None else prefix)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="catastro",
        description="Catastro geoespacial y arbitrios municipales (barrido, recolección, "
                    "parques y jardines, serenazgo).",
        epilog="Ejemplo: catastro validar capas/oxapampa.gpkg\n"
               "Códigos de salida: 0 correcto, 1 errores en los datos, 2 no se pudo leer la "
               "entrada, 3 error interno.",
        formatter_class=_Formato,
    )
    p.add_argument("--version", action="version", version=f"catastro {__version__}",
                   help="muestra la versión y termina")
    p.add_argument("-v", "--detalle", action="store_true", help="muestra mensajes de detalle")
    sub = p.add_subparsers(dest="orden", metavar="ORDEN", title="órdenes")

    def orden(nombre, ayuda, descripcion=None):
        return sub.add_parser(nombre, help=ayuda, description=descripcion or ayuda,
                              formatter_class=_Formato)

    s = orden("validar", "comprueba si las capas sirven para calcular arbitrios",
              "Valida un almacén de capas (GeoPackage) contra el esquema y reporta TODOS los "
              "problemas con su código, capa, elemento, qué corregir y dónde.")
    s.add_argument("capas", nargs="?", default=str(ALMACEN_POR_DEFECTO),
                   help=f"GeoPackage con las capas (por defecto {ALMACEN_POR_DEFECTO})")
    s.add_argument("--formato", choices=("texto", "json"), default="texto",
                   help="formato del reporte (texto o json)")
    s.add_argument("--max-lineas", type=int, default=200,
                   help="problemas a listar en texto (los demás se resumen; json lista todos)")

    s = orden("importar", "trae capas propias (GPKG, SHP, GeoJSON, CSV-WKT, DXF) al esquema",
              "Importa un archivo de la municipalidad a una capa del esquema, reproyectando al "
              "CRS métrico. Las columnas no mapeadas se conservan.")
    s.add_argument("origen", help="archivo a importar (.gpkg .shp .geojson .csv .dxf)")
    s.add_argument("--capa", required=True, help="capa del esquema destino (predios, vias, …)")
    s.add_argument("--mapeo", help="columna_esquema=COLUMNA_ORIGEN,… (codigo=COD_PRED,uso=USO)")
    s.add_argument("--crs", help="CRS del origen si no lo declara (EPSG:32718, EPSG:24878 …)")
    s.add_argument("--capa-origen", help="capa del origen si tiene varias (GeoPackage)")
    s.add_argument("--destino", default=str(ALMACEN_POR_DEFECTO),
                   help=f"GeoPackage donde guardar la capa (por defecto {ALMACEN_POR_DEFECTO})")
    s.add_argument("--estimar-ancho", action="store_true",
                   help="con --capa vias: completa el ancho_m que falte con la distancia del "
                        "eje a los linderos de manzana de los predios ya importados en el destino")

    s = orden("generar-ejemplo", "genera el distrito de ejemplo (modelado en Oxapampa)",
              "Genera de forma determinista el distrito sintético calibrado con la Ordenanza "
              "466-2019-MPO, o uno más grande para pruebas de rendimiento.")
    s.add_argument("--predios", type=int, help="cantidad de predios (por defecto, el calibrado)")
    s.add_argument("--semilla", type=int, default=466, help="semilla (misma semilla, mismo archivo)")
    s.add_argument("--salida", default=str(ALMACEN_POR_DEFECTO), help="GeoPackage a escribir")
    s.add_argument("--informe", action="store_true",
                   help="imprime la tabla de calibración: generado vs ordenanza")

    _ordenes_derivadas(orden)
    _ordenes_almacen(orden)
    _ordenes_cobranza(orden)
    return p


def _ordenes_derivadas(orden) -> None:
    """Órdenes de derivaciones y tarifas (se registran aquí para que --help las muestre)."""
    s = orden("derivar", "deriva frontis, categoría de parques, zonas y micro-rutas",
              "Deriva de la geometría los criterios que exige la ley: frontis por vía y cuadra, "
              "categoría de parques (A frente, B cerca, C lejos, D no comprendidos), zona y "
              "sector de cada predio, y micro-rutas de barrido.")
    s.add_argument("capas", nargs="?", default=str(ALMACEN_POR_DEFECTO), help="GeoPackage")
    s.add_argument("--salida", help="GeoPackage de derivados (por defecto salidas/derivados.gpkg)")
    s.add_argument("--ordenanza", help="archivo de ordenanza (.toml); por defecto Oxapampa 2020")
    s.add_argument("--distancia", choices=("euclidea", "red"), default="euclidea",
                   help="distancia a áreas verdes: en línea recta o por la red de vías")
    s.add_argument("--tolerancia", type=float, help="tolerancia de frontis en m (0.5)")
    s.add_argument("--fiscalizacion", action="store_true",
                   help="lista predios con frontis declarado muy distinto del derivado")
    _opcion_fecha(s)

    s = orden("verificar-ordenanza", "recalcula cada cuadro de la ordenanza y lo compara",
              "Alimenta el motor con los agregados publicados, recalcula cada cuadro del Anexo "
              "y marca ✓/✗ con la precisión publicada; lista las inconsistencias del texto.")
    s.add_argument("ordenanza", nargs="?", help="archivo .toml (por defecto Oxapampa 2020)")
    s.add_argument("--formato", choices=("texto", "json"), default="texto")

    s = orden("tarifas", "calcula los cuadros y el arbitrio de cada predio desde el catastro")
    s.add_argument("capas", nargs="?", default=str(ALMACEN_POR_DEFECTO), help="GeoPackage")
    s.add_argument("--ordenanza", help="archivo .toml (por defecto Oxapampa 2020)")
    s.add_argument("--salida", default="salidas/tarifas", help="carpeta de salida")
    _opcion_fecha(s)
    s.add_argument("--distancia", choices=("euclidea", "red"), default="euclidea")

    s = orden("mapas", "publica los mapas (HTML sin red y, con --imprimir, láminas A3 en PDF)",
              "Publica los mapas que acompañan a la ordenanza: zonas de recolección, sectores de "
              "barrido y micro-rutas, parques y jardines, arbitrios por predio, serenazgo y, si el "
              "almacén tiene cobranza, mora por barrio. Cada "
              "HTML se abre sin conexión; no llevan datos personales salvo pedido expreso.")
    s.add_argument("capas", nargs="?", default=str(ALMACEN_POR_DEFECTO), help="GeoPackage")
    s.add_argument("--salida", default="mapas", help="carpeta de los mapas (por defecto mapas/)")
    _opcion_fecha(s)
    s.add_argument("--ordenanza", help="archivo .toml (por defecto Oxapampa 2020)")
    s.add_argument("--distancia", choices=("euclidea", "red"), default="euclidea")
    s.add_argument("--imprimir", action="store_true",
                   help="además, láminas A3 en PDF y PNG para anexar a la ordenanza")
    s.add_argument("--incluir-datos-personales", action="store_true",
                   help="publica nombre y documento del contribuyente en las ventanas (¡cuidado!)")

    s = orden("escenario", "compara micro-rutas de barrido: almacén actual vs un plan",
              "Deriva y tarifica dos almacenes que difieren en 'sectores_barrido' (límites o "
              "frecuencias) o en la columna opcional 'sector' de 'vias', y compara los Cuadros "
              "01-05 y 09-10, el arbitrio de barrido de cada predio, quiénes pagan más o menos "
              "y los ml por barrendero de cada sector; escribe CSV y un mapa de diferencias.")
    s.add_argument("base", help="GeoPackage actual (lo que se cobra hoy)")
    s.add_argument("escenario", help="GeoPackage del plan (copia editada de la base)")
    s.add_argument("--ordenanza", help="archivo .toml (por defecto Oxapampa 2020)")
    s.add_argument("--salida", default="salidas/escenario", help="carpeta de salida")
    s.add_argument("--distancia", choices=("euclidea", "red"), default="euclidea")

    s = orden("liquidacion", "desglose del arbitrio de un predio, como lo lee el contribuyente")
    s.add_argument("codigo", help="código catastral")
    s.add_argument("--capas", default=str(ALMACEN_POR_DEFECTO), help="GeoPackage")
    s.add_argument("--ordenanza", help="archivo .toml (por defecto Oxapampa 2020)")


def _opcion_fecha(s) -> None:
    s.add_argument("--fecha", metavar="AAAA-MM-DD",
                   help="el catastro como estaba al final de ese día (hora del Perú, UTC−5), "
                        "reconstruido del historial")


def _ordenes_cobranza(orden) -> None:
    """Órdenes de cobranza (geo.cobranza): contribuyente, emitir, pagar, extornar,
    estado-cuenta, aviso, morosos, plan, planes, mora. Viven en geo/cobranza/ordenes.py."""
    from geo.cobranza.ordenes import registrar

    registrar(orden, str(ALMACEN_POR_DEFECTO))


def _ordenes_almacen(orden) -> None:
    """Órdenes de actualización del catastro con historial (geo.almacen)."""
    s = orden("actualizar", "aplica altas, bajas, modificaciones, subdivisiones y acumulaciones",
              "Aplica un archivo de CAMBIOS al almacén, todo o nada, después de validarlo con las "
              "reglas de 'catastro validar' (sobre los predios afectados y sus vecinos). Cada "
              "cambio queda en el historial con fecha, usuario y expediente.\n\n"
              "CAMBIOS: GeoPackage, GeoJSON o CSV con WKT; columnas operacion (alta, "
              "modificacion, baja, subdivision, acumulacion), codigo, origen (subdivisión: el "
              "código subdividido; acumulación: los códigos unidos, separados por ';'), version "
              "(opcional: la versión del predio en que se basó el cambio), borrar (opcional: "
              "columnas a vaciar, separadas por ';') y los atributos del esquema de predios. En "
              "una modificación, una celda vacía deja el valor como está.")
    s.add_argument("capas", help="almacén: GeoPackage (capas/oxapampa.gpkg) o postgresql://…")
    s.add_argument("--cambios", required=True, help="archivo de CAMBIOS (.gpkg .geojson .csv)")
    s.add_argument("--expediente", required=True, help="número de expediente que lo sustenta")
    s.add_argument("--usuario", required=True, help="quién registra el cambio")
    s.add_argument("--motivo", help="motivo (texto libre: independización, HAD 2025 …)")
    s.add_argument("--crs", help="CRS del archivo de cambios si no lo declara (EPSG:32718)")
    s.add_argument("--capa-origen", help="capa del archivo de cambios si tiene varias")
    s.add_argument("--derivados",
                   help="GeoPackage de derivados previo (de 'catastro derivar'): se re-deriva "
                        "solo lo que el cambio alcanza, se reescribe y se muestra el cambio de "
                        "arbitrio de cada predio afectado")
    s.add_argument("--ordenanza", help="archivo .toml para --derivados (por defecto Oxapampa)")
    s.add_argument("--simular", action="store_true",
                   help="solo valida y muestra qué se haría; no escribe nada")

    s = orden("historial", "muestra la vida de un predio (y de los predios de los que proviene)")
    s.add_argument("codigo", help="código catastral")
    s.add_argument("--capas", default=str(ALMACEN_POR_DEFECTO),
                   help=f"almacén (por defecto {ALMACEN_POR_DEFECTO})")
    s.add_argument("--formato", choices=("texto", "json"), default="texto")

    s = orden("confirmar-frontis", "confirma o corrige en campo el frontis de un predio",
              "Registra el frontis medido en campo. Un frontis confirmado no lo cambia ninguna "
              "derivación posterior (que igual informa la diferencia) y es el que usa la tarifa. "
              "Para muchos predios: --archivo CSV con columnas codigo, metros, observacion "
              "(y opcionalmente expediente, frontis_derivado_m).")
    s.add_argument("codigo", nargs="?", help="código catastral (o use --archivo)")
    s.add_argument("--metros", type=float, help="frontis confirmado, en metros")
    s.add_argument("--usuario", required=True, help="quién confirma")
    s.add_argument("--observacion", help="por qué: visita de campo, fecha, acta …")
    s.add_argument("--expediente", help="expediente (opcional)")
    s.add_argument("--archivo", help="CSV para confirmar muchos predios a la vez")
    s.add_argument("--capas", default=str(ALMACEN_POR_DEFECTO),
                   help=f"almacén (por defecto {ALMACEN_POR_DEFECTO})")


# ---------------------------------------------------------------------------------------------
# Utilidades de presentación


def _consola():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


@contextmanager
def _progreso(descripcion: str):
    """Indicador de progreso en stderr para trabajos que tardan (silencioso si no es terminal).

    Entrega una función ``avanzar(texto)`` para cambiar la descripción.
    """
    consola = _consola()
    inicio = time.perf_counter()
    if consola.is_terminal:
        with consola.status(descripcion) as estado:
            yield estado.update
    else:
        yield lambda texto: None
    log.info("%s: %.1f s", descripcion, time.perf_counter() - inicio)


def _escribir(texto: str = "") -> None:
    try:
        sys.stdout.write(texto + "\n")
    except BrokenPipeError:  # quien leía (p. ej. «| head») ya no lee: la orden sigue sin él
        _salida_a_nada()


def _salida_a_nada() -> None:
    """Lo que quede por escribir en stdout va a ``/dev/null``: quien leía la salida por una
    tubería la cerró. La orden termina su trabajo (los archivos se escriben igual) y sale
    con su código de siempre, sin un error por lo que ya nadie lee."""
    nulo = os.open(os.devnull, os.O_WRONLY)
    os.dup2(nulo, sys.stdout.fileno())
    os.close(nulo)


# ---------------------------------------------------------------------------------------------
# Órdenes


def _orden_validar(args) -> int:
    from geo.validacion import validar

    with _progreso("Validando capas…") as avanzar:
        informe = validar(args.capas, progreso=avanzar)
    if args.formato == "json":
        _escribir(json.dumps({
            "archivo": str(informe.ruta),
            "valido": not informe.errores,
            "errores": len(informe.errores),
            "avisos": len(informe.avisos),
            "elementos": informe.conteos,
            "problemas": [p.como_dict() for p in informe.problemas],
        }, ensure_ascii=False, indent=2))
        return informe.salida
    _escribir(f"Validación de {informe.ruta}")
    for capa, n in informe.conteos.items():
        _escribir(f"  {capa:<22}{n:>10,} elementos")
    if informe.problemas:
        _escribir("")
        tabla = informe.tabla()
        resumen = tabla.groupby(["severidad", "codigo", "capa"]).size().reset_index(name="n")
        _escribir("Resumen por código:")
        for fila in resumen.sort_values(["severidad", "n"], ascending=[False, False]).itertuples():
            _escribir(f"  {fila.severidad:<6} {fila.codigo:<26} {fila.capa:<20} {fila.n:>8,}")
        _escribir("")
        for p in informe.problemas[: args.max_lineas]:
            _escribir("  " + p.como_texto())
        resto = len(informe.problemas) - args.max_lineas
        if resto > 0:
            _escribir(f"  … y {resto:,} problemas más (use --formato json para verlos todos).")
    _escribir("")
    errores = cuenta(len(informe.errores), "error", "errores")
    avisos = cuenta(len(informe.avisos), "aviso", "avisos")
    if informe.errores:
        _escribir(f"NO APTO: {errores} y {avisos}. Corrija los errores antes de calcular "
                  "arbitrios.")
    else:
        extra = f" ({avisos} para revisar)" if informe.avisos else ""
        _escribir(f"APTO: las capas sirven para calcular arbitrios{extra}.")
    return informe.salida


def _orden_importar(args) -> int:
    from geo.importar import estimar_anchos, guardar_en_almacen, importar_capa, interpretar_mapeo

    if args.estimar_ancho and args.capa != "vias":
        raise ErrorDatos(f"--estimar-ancho es para la capa de vías (--capa vias), no para "
                         f"'{args.capa}'.", "OPCION_INVALIDA")
    anchos = None
    with _progreso(f"Importando {args.origen}…") as avanzar:
        imp = importar_capa(args.origen, args.capa, interpretar_mapeo(args.mapeo), args.crs,
                            args.capa_origen)
        if args.estimar_ancho:
            avanzar("Estimando el ancho de las vías…")
            imp.gdf, anchos = estimar_anchos(imp.gdf, args.destino)
        guardar_en_almacen(imp.gdf, args.capa, args.destino)
    _escribir(f"Importados {len(imp.gdf):,} elementos de {args.origen} ({imp.formato}, "
              f"{imp.crs_origen}) a la capa '{args.capa}' de {args.destino}.")
    if imp.conservadas:
        _escribir(f"Columnas conservadas sin mapear: {', '.join(imp.conservadas)}.")
    if anchos:
        _escribir(anchos)
    if imp.problemas:
        columnas = [p for p in imp.problemas if p.codigo == "COLUMNA_FALTANTE"]
        valores = [p for p in imp.problemas if p.codigo != "COLUMNA_FALTANTE"]
        if columnas:
            _escribir(f"Faltan {len(columnas)} columnas obligatorias:" if len(columnas) > 1
                      else "Falta una columna obligatoria:")
            for p in columnas:
                _escribir("  " + p.como_texto())
        if valores:
            _escribir(f"{len(valores):,} valores no se pudieron convertir y quedaron vacíos:"
                      if len(valores) > 1 else "Un valor no se pudo convertir y quedó vacío:")
            for p in valores[:200]:
                _escribir("  " + p.como_texto())
            if len(valores) > 200:
                _escribir(f"  … y {len(valores) - 200:,} más.")
        _escribir("Corríjalos en el origen y vuelva a importar, o complételos en QGIS; luego "
                  "ejecute 'catastro validar'.")
        return SALIDA_DATOS
    _escribir(f"Siguiente paso: catastro validar {args.destino}")
    return SALIDA_OK


def _orden_generar_ejemplo(args) -> int:
    from geo.capas import escribir_capas
    from geo.generador import generar_distrito, informe_calibracion

    if args.predios is not None and args.predios < 1:
        raise ErrorDatos(f"--predios {args.predios} no sirve: indique una cantidad de predios "
                         "mayor que cero (o quítelo para el distrito calibrado).",
                         "PREDIOS_INVALIDO")
    with _progreso("Generando el distrito de ejemplo…") as avanzar:
        capas = generar_distrito(predios=args.predios, semilla=args.semilla)
        avanzar(f"Escribiendo {args.salida}…")
        escribir_capas(capas, args.salida)
    _escribir(f"Distrito de ejemplo escrito en {args.salida}: {len(capas['predios']):,} predios, "
              f"{len(capas['vias']):,} cuadras de vías, {len(capas['areas_verdes'])} áreas verdes.")
    if args.informe:
        _escribir("")
        _escribir(_tabla_calibracion(informe_calibracion(capas)))
    return SALIDA_OK


def _tabla_calibracion(tabla) -> str:
    lineas = ["Calibración: generado vs ordenanza",
              f"{'concepto':<58}{'generado':>14}{'ordenanza':>14}{'dif. %':>9}  cumple"]
    for f in tabla.itertuples():
        dif = "" if f.diferencia_pct != f.diferencia_pct else f"{f.diferencia_pct:+.2f}"
        marca = "✓" if f.cumple else "✗"
        nota = f"  {f.nota}" if getattr(f, "nota", "") else ""
        lineas.append(f"{str(f.concepto):<58}{f.generado:>14,.2f}{f.ordenanza:>14,.2f}"
                      f"{dif:>9}  {marca}{nota}")
    cumplen = int(tabla["cumple"].sum())
    lineas.append(f"{cumplen} de {len(tabla)} conceptos dentro de la meta.")
    return "\n".join(lineas)


MEMORIA_POR_PREDIO = 1_000
"""Bytes por predio que :func:`_reservar_memoria` toca de antemano. Después de leer, derivar
un millón de predios pide ~1,3 kB más por predio (medido); algo menos, para no subir el
pico si el bloque no se reusa entero."""


PREDIOS_PARA_ADELANTAR_ESCRITOR = 50_000
"""Desde cuántos predios ``catastro derivar`` lanza al empezar el proceso que escribirá
``frentes`` (:func:`geo._escritor.lanzar`): importa pyarrow y pyogrio (~0,8 s) en el núcleo
libre mientras aquí se importa y se lee, y cuando los frentes están listos ya puede
escribirlos."""


def _reservar_memoria(capas) -> int:
    """Si ``capas`` es un GeoPackage, empieza a tocar (en otro hilo, mientras se importan los
    módulos y se leen las capas) la memoria que derivar va a pedir por sus predios; ver
    :func:`geo.memoria.reservar`. Con un millón de predios ahorra ~2 s en una máquina que no
    venía de otro trabajo. Cuenta los predios con ``gpkg_ogr_contents`` (lo escriben GDAL y
    QGIS); si no está, no hace nada: la lectura dirá si el archivo tiene un problema.
    Devuelve cuántos predios contó (0 si no pudo)."""
    import sqlite3
    from contextlib import closing

    from geo.memoria import reservar

    ruta = Path(str(capas))
    if not ruta.is_file():
        return 0
    try:
        with closing(sqlite3.connect(ruta.resolve().as_uri() + "?mode=ro", uri=True)) as con:
            fila = con.execute("SELECT feature_count FROM gpkg_ogr_contents "
                               "WHERE lower(table_name) = 'predios'").fetchone()
    except sqlite3.Error:
        return 0
    if not (fila and isinstance(fila[0], int) and fila[0] > 0):
        return 0
    reservar(MEMORIA_POR_PREDIO * fila[0])
    return fila[0]


def _orden_derivar(args) -> int:
    predios = _reservar_memoria(args.capas)
    escritor = None
    if predios >= PREDIOS_PARA_ADELANTAR_ESCRITOR:
        from geo._escritor import lanzar

        escritor = lanzar()  # antes de importar lo pesado: importa en el núcleo libre
    from geo.config import CONFIG
    from geo.derivaciones import EscrituraDerivados
    from geo.flujo import avisos_al_salir, derivar_almacen, ruta_avisos

    config = CONFIG if args.tolerancia is None else CONFIG.con(tolerancia_frontis_m=args.tolerancia)
    salida = Path(args.salida or "salidas/derivados.gpkg")
    # el CSV de avisos se renombra al salir de avisos_despues: después del GeoPackage
    with contextlib.ExitStack() as avisos_despues, \
            _progreso("Derivando frontis, parques, zonas y micro-rutas…") as avanzar, \
            EscrituraDerivados(salida, escritor=escritor) as escritura:
        # con muchos trozos, 'frentes' se empieza a escribir en otro proceso mientras se
        # termina de derivar
        capas, derivados, _ = derivar_almacen(args.capas, args.ordenanza, args.distancia,
                                              config, fecha=args.fecha,
                                              al_tener_frentes=escritura.frentes)
        _conservar(capas, derivados)
        avanzar(f"Escribiendo {salida}…")
        # el resumen y los avisos, mientras el proceso escritor termina los frentes
        resumen = derivados.resumen()
        archivo_avisos = avisos_despues.enter_context(
            avisos_al_salir(derivados.avisos, ruta_avisos(salida)))
        escritura.terminar(derivados)
    _escribir(resumen)
    if derivados.avisos:
        for aviso in derivados.avisos[:20]:
            _escribir("  " + aviso.como_texto())
        if len(derivados.avisos) > 20:
            _escribir(f"  … y {len(derivados.avisos) - 20:,} avisos más.")
        _escribir(f"Lista completa de avisos: {archivo_avisos}")
    if args.fiscalizacion:
        tabla = derivados.fiscalizacion()
        _escribir("")
        _escribir(f"Fiscalización: {len(tabla):,} predios con frontis declarado distinto del "
                  "derivado en más de max(2 m, 10 %), por impacto en el arbitrio:")
        _escribir(tabla.to_string(index=False) if len(tabla) else "  (ninguno)")
    _escribir(f"\nDerivados escritos en {salida} (capas predios, frentes, microrutas).")
    return SALIDA_OK


def _orden_verificar_ordenanza(args) -> int:
    from geo.ordenanza import cargar_ordenanza
    from geo.tarifas import formatear_verificacion, verificar_ordenanza

    verificacion = verificar_ordenanza(cargar_ordenanza(args.ordenanza))
    _escribir(formatear_verificacion(verificacion, args.formato))
    return verificacion.codigo_salida


def _orden_tarifas(args) -> int:
    _reservar_memoria(args.capas)
    from geo.flujo import tarifas_almacen
    from geo.tarifas import escribir_salidas, formatear_conciliacion

    with _progreso("Derivando y calculando arbitrios…") as avanzar:
        capas, derivados, resultado = tarifas_almacen(args.capas, args.ordenanza,
                                                      args.distancia, fecha=args.fecha)
        _conservar(capas, derivados, resultado)
        avanzar(f"Escribiendo {args.salida}…")
        archivos = escribir_salidas(resultado, args.salida)
    _escribir(formatear_conciliacion(resultado))
    for aviso in resultado.avisos:
        _escribir("  Aviso: " + aviso)
    _escribir(f"\nSalidas en {args.salida}:")
    for archivo in archivos:
        _escribir(f"  {archivo}")
    return SALIDA_OK


def _orden_mapas(args) -> int:
    _reservar_memoria(args.capas)
    from geo.flujo import tarifas_almacen
    from geo.mapas import publicar_mapas
    from geo.tarifas.salidas import tabla_predios

    with _progreso("Derivando y calculando arbitrios…") as avanzar:
        capas, derivados, resultado = tarifas_almacen(args.capas, args.ordenanza, args.distancia,
                                                      fecha=args.fecha)
        _conservar(capas, derivados, resultado)
        mora = None
        # la cobranza vive en el GeoPackage (no en PostGIS) y el mapa necesita la capa barrios
        if Path(args.capas).is_file() and "barrios" in capas:
            from geo.cobranza.mora import capa_mora_barrios
            from geo.cobranza.tablas import hay_cobranza, lectura

            with lectura(args.capas) as con:
                cobranza = hay_cobranza(con)
            if cobranza:
                avanzar("Calculando la mora por barrio…")
                # sin --fecha, a hoy; en el CRS métrico de las capas (el almacén puede diferir)
                mora = capa_mora_barrios(args.capas, args.fecha).to_crs(derivados.predios.crs)
        avanzar("Dibujando los mapas…")
        titulo = resultado.ordenanza.meta.get("ordenanza", "Ordenanza de arbitrios")
        escritos = publicar_mapas(
            capas, derivados.predios, derivados.frentes, derivados.microrutas,
            tabla_predios(resultado), titulo, args.salida,
            incluir_datos_personales=args.incluir_datos_personales, imprimir=args.imprimir,
            umbral_cerca_m=derivados.umbral_cerca_m, mora=mora)
    for archivo in escritos:
        tam = archivo.stat().st_size / 1e6
        _escribir(f"  {archivo}  ({tam:,.1f} MB)")
    if args.incluir_datos_personales:
        _escribir("ATENCIÓN: estos mapas llevan datos personales; no los publique.")
    indice = Path(args.salida) / "index.html"
    _escribir(f"\nMapas listos. Abra {indice.resolve()} en su navegador (funciona sin conexión).")
    return SALIDA_OK


def _orden_escenario(args) -> int:
    from geo.escenarios import comparar_almacenes, escribir_comparacion

    with _progreso("Derivando y tarificando la base y el escenario…") as avanzar:
        comp = comparar_almacenes(args.base, args.escenario, args.ordenanza, args.distancia)
        avanzar(f"Escribiendo {args.salida}…")
        titulo = comp.base.resultado.ordenanza.meta.get("ordenanza", "Ordenanza de arbitrios")
        archivos = escribir_comparacion(comp, args.salida,
                                        f"Escenario de micro-rutas de barrido · {titulo}")
    _escribir(comp.resumen())
    _escribir(f"\nSalidas en {args.salida}:")
    for archivo in archivos:
        _escribir(f"  {archivo}")
    return SALIDA_OK


def _orden_liquidacion(args) -> int:
    _reservar_memoria(args.capas)
    from geo.flujo import tarifas_almacen
    from geo.tarifas import liquidacion

    with _progreso("Calculando…"):
        capas, derivados, resultado = tarifas_almacen(args.capas, args.ordenanza)
        _conservar(capas, derivados, resultado)
    _escribir(liquidacion(args.codigo, resultado))
    return SALIDA_OK


def _orden_actualizar(args) -> int:
    from geo.almacen import abrir, leer_cambios

    with _progreso("Validando y aplicando los cambios…"), abrir(args.capas) as almacen:
        cambios = leer_cambios(args.cambios, args.crs, args.capa_origen)
        if args.simular:
            plan, avisos = almacen.planificar(cambios, args.expediente, args.usuario,
                                              args.motivo)
        else:
            resumen = almacen.aplicar(cambios, args.expediente, args.usuario, args.motivo)
            avisos = resumen.avisos
    for aviso in avisos:
        _escribir("  " + aviso.como_texto())
    if args.simular:
        acciones = [f"{p.accion} {p.codigo}" for p in plan.pasos]
        _escribir(f"Simulación: los cambios son válidos; se harían {len(acciones)} escrituras "
                  f"({', '.join(acciones[:20])}{' …' if len(acciones) > 20 else ''}). "
                  "No se escribió nada.")
        return SALIDA_OK
    _escribir(resumen.texto())
    _escribir(f"Expediente {args.expediente}, usuario {args.usuario}. Vea la vida de un predio "
              f"con: catastro historial CODIGO --capas {args.capas}")
    if args.derivados:
        with _progreso("Re-derivando lo afectado y recalculando arbitrios…"):
            from geo.flujo import actualizar_derivados

            cambios_arbitrio, inc = actualizar_derivados(
                args.capas, args.derivados, resumen.altas + resumen.modificaciones,
                resumen.bajas, args.ordenanza)
        _escribir(f"Re-derivados {len(inc.recalculados):,} predios "
                  f"({'derivación completa: ' + inc.motivo if inc.completo else 'incremental'}, "
                  f"{inc.segundos:.2f} s); derivados actualizados en {args.derivados}.")
        totales = cambios_arbitrio[cambios_arbitrio["servicio"] == "total"]
        _escribir(f"Cambio del arbitrio mensual total en {len(totales):,} predios "
                  "(las tasas son costo ÷ Σ criterios: un cambio mueve un poco a todos):")
        for f in totales.head(20).itertuples():
            _escribir(f"  {f.codigo:<26} S/ {f.antes:>10,.2f} → S/ {f.despues:>10,.2f} "
                      f"({f.diferencia:+,.2f})")
        if len(totales) > 20:
            _escribir(f"  … y {len(totales) - 20:,} más.")
    return SALIDA_OK


def _orden_historial(args) -> int:
    from geo.almacen import abrir
    from geo.almacen.base import texto_historial

    with abrir(args.capas) as almacen:
        registros = almacen.historial(args.codigo)
        existe = almacen.existe_predio(args.codigo)
    if not len(registros) and not existe:
        raise ErrorDatos(f"No hay predio {args.codigo} ni historial con ese código en "
                         f"{args.capas}. Revise el código.", "CODIGO_INEXISTENTE")
    if args.formato == "json":
        tabla = registros.drop(columns=["geom_antes", "geom_despues"]).astype(object)
        tabla = tabla.where(tabla.notna(), None)
        _escribir(json.dumps({"codigo": args.codigo, "vigente": existe,
                              "registros": tabla.to_dict(orient="records")},
                             ensure_ascii=False, indent=2, default=str))
        return SALIDA_OK
    _escribir(texto_historial(registros, args.codigo, existe))
    return SALIDA_OK


def _orden_confirmar_frontis(args) -> int:
    from geo.almacen import abrir

    if args.archivo:
        from geo.almacen.base import leer_confirmaciones

        filas = leer_confirmaciones(args.archivo)
    else:
        if not args.codigo or args.metros is None or not args.observacion:
            raise ErrorDatos("Indique CODIGO, --metros y --observacion (o --archivo CSV con "
                             "codigo, metros, observacion).", "ARGUMENTOS_FALTANTES")
        filas = [{"codigo": args.codigo, "metros": args.metros,
                  "observacion": args.observacion, "expediente": args.expediente}]
    with abrir(args.capas) as almacen:
        n = almacen.confirmar_frontis(filas, args.usuario)
    _escribir(f"{n:,} frontis confirmados por {args.usuario}. Las próximas derivaciones y "
              "tarifas usan el valor confirmado (y siguen informando la diferencia).")
    return SALIDA_OK


_ORDENES = {
    "actualizar": _orden_actualizar,
    "historial": _orden_historial,
    "confirmar-frontis": _orden_confirmar_frontis,
    "derivar": _orden_derivar,
    "verificar-ordenanza": _orden_verificar_ordenanza,
    "tarifas": _orden_tarifas,
    "liquidacion": _orden_liquidacion,
    "mapas": _orden_mapas,
    "escenario": _orden_escenario,
    "validar": _orden_validar,
    "importar": _orden_importar,
    "generar-ejemplo": _orden_generar_ejemplo,
}


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    # Lo que la persona debe saber lo imprime cada orden; el registro es para diagnóstico (-v).
    logging.basicConfig(level=logging.INFO if args.detalle else logging.ERROR,
                        format="%(levelname)s %(name)s: %(message)s")
    if not args.orden:
        parser.print_help()
        return SALIDA_OK
    from geo.cobranza.ordenes import ORDENES as ordenes_cobranza

    funcion = _ORDENES.get(args.orden) or ordenes_cobranza.get(args.orden)
    if funcion is None:
        _consola().print(f"La orden '{args.orden}' aún no está disponible en esta versión.")
        return SALIDA_LECTURA
    try:
        return funcion(args)
    except ErrorCatastro as e:
        from rich.markup import escape

        _consola().print(f"[bold red]Error[/] {escape(f'[{e.codigo}]')}: {escape(e.mensaje)}",
                         soft_wrap=True)
        return e.salida
    except KeyboardInterrupt:
        _consola().print("Interrumpido por el usuario; no se escribió nada a medias.")
        return 130
    except OSError as e:  # un archivo o carpeta que no se pudo abrir, crear o escribir
        if os.environ.get("CATASTRO_DEPURAR"):
            raise
        from geo.errores import motivo_sistema

        donde = e.filename if e.filename is not None else "un archivo"
        _consola().print(f"Error [ARCHIVO]: no se pudo leer o escribir {donde}: "
                         f"{motivo_sistema(e)}. Revise la ruta y los permisos.", markup=False,
                         soft_wrap=True)
        return SALIDA_LECTURA
    except Exception as e:  # noqa: BLE001 - nunca una traza para el usuario
        if os.environ.get("CATASTRO_DEPURAR"):
            raise
        _consola().print(
            f"Error interno inesperado ({type(e).__name__}: {str(e)[:300]}). Es un defecto del "
            "programa, no de sus datos: infórmelo con la orden que ejecutó. "
            "(CATASTRO_DEPURAR=1 muestra el detalle técnico.)", markup=False, soft_wrap=True)
        return SALIDA_INTERNA


_conservados: list | None = None
"""Con salida inmediata (:func:`principal`), los resultados grandes de cada orden, que así no
se deshacen al volver de ella (ver :func:`_conservar`)."""


def _conservar(*objetos) -> None:
    """Deja vivos hasta la salida inmediata los resultados grandes de una orden: deshacer sus
    millones de geometrías al volver de la función tarda ~0,5 s con un millón de predios, y
    :func:`principal` sale sin deshacer nada. Sin salida inmediata (p. ej. ``main()`` desde
    las pruebas) no hace nada."""
    if _conservados is not None:
        _conservados.extend(objetos)


def _blas_de_un_hilo() -> None:
    """OpenBLAS (el álgebra lineal de numpy) con un solo hilo, si el usuario no fijó otro.

    catastro no hace álgebra lineal, pero al importar numpy OpenBLAS lanza un hilo por núcleo
    que gira ~0,1 s esperando trabajo: en esta máquina de 2 núcleos, ~0,15 s de CPU por
    proceso (``catastro`` y el que escribe ``frentes``) que se le quitan al cálculo. Los
    procesos hijos heredan la variable. Tiene que fijarse antes de importar numpy.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def principal() -> None:
    """Punto de entrada de la orden ``catastro``: :func:`main` y salida inmediata.

    Con un millón de predios, deshacer uno por uno los millones de objetos en memoria al
    cerrar Python tarda más de un segundo sin servir de nada: los archivos ya están escritos
    y cerrados (cada escritura es atómica), así que se vacían stdout y stderr y se sale con
    ``os._exit``.
    """
    global _conservados
    from geo.memoria import ajustar_malloc

    _blas_de_un_hilo()  # antes de importar numpy
    ajustar_malloc()  # antes de que se lance ningún hilo
    _conservados = []
    codigo = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _salida_a_nada()
        sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(codigo)


if __name__ == "__main__":
    principal()
