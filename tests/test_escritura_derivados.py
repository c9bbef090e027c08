"""EscrituraDerivados: ``frentes`` escrito en otro proceso mientras se termina de derivar."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

import geo.derivaciones as D
from test_derivaciones import distrito


def _capas_leidas(ruta):
    return {n: gpd.read_file(ruta, layer=n) for n, _ in pyogrio.list_layers(ruta)}


@pytest.fixture
def siempre_aparte(monkeypatch):
    monkeypatch.setattr(D, "FILAS_EN_OTRO_PROCESO", 1)


def test_en_otro_proceso_da_el_mismo_geopackage(tmp_path, siempre_aparte):
    capas = distrito()
    normal = D.escribir_derivados(D.derivar(capas), tmp_path / "normal.gpkg")
    enviados = []
    with D.EscrituraDerivados(tmp_path / "aparte.gpkg") as escritura:
        def frentes(f):
            enviados.append(len(f))
            escritura.frentes(f)
            assert escritura._aparte is not None  # de verdad se lanzó el proceso
        d = D.derivar(capas, al_tener_frentes=frentes)
        escritura.terminar(d)
    assert enviados == [len(d.frentes)] and enviados[0] > 0
    a, b = _capas_leidas(normal), _capas_leidas(tmp_path / "aparte.gpkg")
    assert set(a) == set(b) == {"predios", "frentes", "microrutas"}
    for capa in a:
        pd.testing.assert_frame_equal(pd.DataFrame(a[capa].drop(columns="geometry")),
                                      pd.DataFrame(b[capa].drop(columns="geometry")))
        assert shapely.equals_exact(a[capa].geometry.to_numpy(), b[capa].geometry.to_numpy(),
                                    tolerance=0).all()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["aparte.gpkg", "normal.gpkg"]


def _tam_pagina(ruta) -> int:
    import sqlite3

    with contextlib.closing(sqlite3.connect(ruta)) as con:
        return con.execute("PRAGMA page_size").fetchone()[0]


@pytest.mark.parametrize("aparte", [False, True], ids=["en_el_proceso", "en_otro_proceso"])
def test_derivados_con_paginas_de_32k_sin_tocar_las_opciones_de_gdal(tmp_path, monkeypatch,
                                                                      aparte):
    """El GeoPackage de derivados se crea con páginas de SQLite de 32 KiB (lo crea quien
    escribe ``frentes``: este proceso u otro), y las opciones de GDAL quedan como estaban."""
    if aparte:
        monkeypatch.setattr(D, "FILAS_EN_OTRO_PROCESO", 1)
    pyogrio.set_gdal_config_options({"OGR_SQLITE_PRAGMA": "cache_size=-2000"})
    try:
        with D.EscrituraDerivados(tmp_path / "d.gpkg") as escritura:
            d = D.derivar(distrito(), al_tener_frentes=escritura.frentes)
            assert (escritura._aparte is not None) == aparte
            escritura.terminar(d)
        assert pyogrio.get_gdal_config_option("OGR_SQLITE_PRAGMA") == "cache_size=-2000"
        assert pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS") is None
    finally:
        pyogrio.set_gdal_config_options({"OGR_SQLITE_PRAGMA": None})
    assert _tam_pagina(tmp_path / "d.gpkg") == 32768
    assert len(gpd.read_file(tmp_path / "d.gpkg", layer="predios")) == len(d.predios)


def test_escritor_lanzado_antes_escribe_los_frentes_aunque_sean_pocos(tmp_path, monkeypatch):
    """Con un proceso escritor ya lanzado (catastro derivar lo lanza al empezar, con muchos
    predios), ``frentes`` va a ese proceso aunque tenga menos filas que el umbral: el mismo
    GeoPackage, y este proceso no escribe los frentes."""
    import geo.capas as C
    from geo._escritor import lanzar

    capas = distrito()
    normal = D.escribir_derivados(D.derivar(capas), tmp_path / "normal.gpkg")
    escritas = []
    original = C.escribir_preparada
    monkeypatch.setattr(C, "escribir_preparada",
                        lambda p, r, capa, *a, **k: escritas.append(capa) or original(
                            p, r, capa, *a, **k))
    monkeypatch.setattr(D, "escribir_preparada", C.escribir_preparada)
    escritor = lanzar()
    with D.EscrituraDerivados(tmp_path / "aparte.gpkg", escritor=escritor) as escritura:
        d = D.derivar(capas, al_tener_frentes=escritura.frentes)
        assert 0 < len(d.frentes) < D.FILAS_EN_OTRO_PROCESO
        assert escritura._aparte is not None and escritura._aparte.proc is escritor
        escritura.terminar(d)
    assert escritor.returncode == 0
    assert "frentes" not in escritas and "predios" in escritas  # frentes: el otro proceso
    a, b = _capas_leidas(normal), _capas_leidas(tmp_path / "aparte.gpkg")
    assert set(a) == set(b) == {"predios", "frentes", "microrutas"}
    for capa in a:
        pd.testing.assert_frame_equal(pd.DataFrame(a[capa].drop(columns="geometry")),
                                      pd.DataFrame(b[capa].drop(columns="geometry")))


@pytest.mark.parametrize("falla", [False, True])
def test_escritor_lanzado_antes_y_sin_usar_termina(tmp_path, falla):
    """Si nadie le da frentes (p. ej. derivar falla antes de medirlos), el proceso lanzado de
    antemano termina al salir, sin escribir nada, y no queda ningún temporal."""
    from geo._escritor import lanzar

    salida = tmp_path / "derivados.gpkg"
    escritor = lanzar()

    class Falla(Exception):
        pass

    with (pytest.raises(Falla) if falla else contextlib.nullcontext(),
          D.EscrituraDerivados(salida, escritor=escritor) as escritura):
        if falla:
            raise Falla("antes de derivar")
        escritura.terminar(D.derivar(distrito()))
    assert escritor.poll() == 0  # ya terminó, sin error
    assert [p.name for p in tmp_path.iterdir()] == ([] if falla else ["derivados.gpkg"])


def test_escritor_lanzado_antes_termina_si_no_se_puede_crear_el_temporal(tmp_path):
    """Si la salida no se puede escribir (aquí, ya es una carpeta), EscrituraDerivados no
    llega a empezar: el proceso lanzado de antemano termina igual, sin escribir."""
    from geo._escritor import lanzar
    from geo.errores import ErrorEscritura

    carpeta = tmp_path / "derivados.gpkg"
    carpeta.mkdir()
    escritor = lanzar()
    with (pytest.raises(ErrorEscritura, match="ya hay una carpeta"),
          D.EscrituraDerivados(carpeta, escritor=escritor)):
        pass
    assert escritor.poll() == 0
    assert [p.name for p in tmp_path.iterdir()] == ["derivados.gpkg"]


def test_catastro_derivar_lanza_el_escritor_al_empezar_con_muchos_predios(tmp_path, almacen,
                                                                          monkeypatch):
    """Desde PREDIOS_PARA_ADELANTAR_ESCRITOR predios (contados en el GeoPackage), la orden
    lanza el proceso escritor antes de leer y se lo da a EscrituraDerivados; con menos, no."""
    from geo import _escritor, cli

    lanzados = []
    original = _escritor.lanzar
    monkeypatch.setattr(_escritor, "lanzar", lambda: lanzados.append(original()) or lanzados[-1])
    for umbral, esperado in ((10**9, 0), (1, 1)):
        monkeypatch.setattr(cli, "PREDIOS_PARA_ADELANTAR_ESCRITOR", umbral)
        salida = tmp_path / f"d{umbral}.gpkg"
        assert cli.main(["derivar", str(almacen), "--salida", str(salida)]) == 0
        assert len(lanzados) == esperado
    assert lanzados[0].returncode == 0
    a, b = _capas_leidas(tmp_path / f"d{10**9}.gpkg"), _capas_leidas(tmp_path / "d1.gpkg")
    for capa in ("predios", "frentes", "microrutas"):
        pd.testing.assert_frame_equal(pd.DataFrame(a[capa].drop(columns="geometry")),
                                      pd.DataFrame(b[capa].drop(columns="geometry")))


def test_si_la_derivacion_falla_no_queda_nada(tmp_path, siempre_aparte):
    salida = tmp_path / "derivados.gpkg"
    salida.write_bytes(b"version anterior")
    capas = distrito()

    class Falla(Exception):
        pass

    with pytest.raises(Falla), D.EscrituraDerivados(salida) as escritura:
        def frentes(f):
            escritura.frentes(f)
            raise Falla("después de empezar a escribir frentes")
        D.derivar(capas, al_tener_frentes=frentes)
    assert salida.read_bytes() == b"version anterior"  # el destino queda como estaba
    assert [p.name for p in tmp_path.iterdir()] == ["derivados.gpkg"]  # sin temporales


def test_sin_terminar_no_se_publica(tmp_path):
    salida = tmp_path / "derivados.gpkg"
    with pytest.raises(RuntimeError, match="terminar"), D.EscrituraDerivados(salida):
        pass
    assert list(tmp_path.iterdir()) == []


def test_frentes_que_no_pasan_por_arrow_se_escriben_al_terminar(tmp_path, siempre_aparte,
                                                                monkeypatch):
    """Si la capa no pasa por Arrow (lo descubre el hilo que la prepara, después de lanzar
    el proceso), el proceso termina sin escribir y ``terminar`` escribe los frentes aquí."""
    import geo.capas as C

    capas = distrito()
    normal = D.escribir_derivados(D.derivar(capas), tmp_path / "normal.gpkg")
    original = C._partes_arrow  # lo que usan EscrituraAparte y escribir_capa_gpkg
    monkeypatch.setattr(C, "_partes_arrow",
                        lambda gdf: None if "longitud_m" in gdf.columns else original(gdf))
    escritas = []
    escribir = D.escribir_capa_gpkg
    monkeypatch.setattr(D, "escribir_capa_gpkg",
                        lambda gdf, ruta, capa: (escritas.append(capa),
                                                 escribir(gdf, ruta, capa)))
    with D.EscrituraDerivados(tmp_path / "aparte.gpkg") as escritura:
        d = D.derivar(capas, al_tener_frentes=escritura.frentes)
        assert escritura._aparte is not None
        escritura.terminar(d)
    assert escritas == ["frentes", "microrutas"]  # frentes, aquí y no en el otro proceso
    a, b = _capas_leidas(normal), _capas_leidas(tmp_path / "aparte.gpkg")
    assert set(b) == {"predios", "frentes", "microrutas"}
    for capa in a:
        pd.testing.assert_frame_equal(pd.DataFrame(a[capa].drop(columns="geometry")),
                                      pd.DataFrame(b[capa].drop(columns="geometry")))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["aparte.gpkg", "normal.gpkg"]


def test_frentes_se_entregan_antes_de_esperar_los_avisos():
    """calcular_frontis entrega los frentes apenas los arma, sin esperar los avisos de
    predios sin frontis (que en derivar se calculan en otro hilo): el proceso escritor
    empieza antes."""
    from geo.frontis import calcular_frontis, huellas, medir_frontis

    capas = distrito()
    predios, vias = capas["predios"], capas["vias"]
    hue = huellas(predios)
    medida = medir_frontis(hue[1], vias)
    orden = []

    class Pendiente:  # como el Future de avisos_sin_frontis que arma derivar
        def result(self):
            orden.append("avisos")
            return []

    fr = calcular_frontis(predios, vias, huellas_predios=hue, medida=medida,
                          sin_frontis=Pendiente(),
                          al_tener_frentes=lambda f: orden.append(f))
    assert orden[1:] == ["avisos"]
    assert orden[0] is fr.frentes and len(fr.frentes) > 0


def test_soltar_cache_no_toca_el_archivo(tmp_path):
    from geo.memoria import devolver_memoria_libre, soltar_cache

    ruta = tmp_path / "viejo.gpkg"
    ruta.write_bytes(b"contenido anterior" * 1000)
    soltar_cache(ruta)
    soltar_cache(tmp_path / "no_existe.gpkg")  # sin error
    devolver_memoria_libre()
    assert ruta.read_bytes() == b"contenido anterior" * 1000


_MAPA_DE_UN_ARREGLO = """
import sys
import numpy as np
if sys.argv[1] == "ajustado":
    from geo.memoria import ajustar_malloc
    ajustar_malloc()
if sys.argv[2] == "numpy":
    a = np.ones(8_000_000)  # 64 MB: más que el máximo de glibc para pedirlo al montón
    a[:] = 2.0
    inicio = a.__array_interface__["data"][0]
else:  # un búfer de Arrow del mismo tamaño, del asignador por omisión de pyarrow
    import pyarrow as pa
    b = pa.allocate_buffer(64 << 20)
    inicio = b.address
for linea in open("/proc/self/maps"):
    rango, _, _, _, _, *nombre = linea.split()
    desde, hasta = (int(x, 16) for x in rango.split("-"))
    if desde <= inicio < hasta:
        print(nombre[0] if nombre else "anonimo")
"""


def _region(modo, que, **entorno):
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    r = subprocess.run([sys.executable, "-c", _MAPA_DE_UN_ARREGLO, modo, que],
                       capture_output=True, text=True, check=True, env={**env, **entorno})
    return r.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt es de glibc (Linux)")
def test_ajustar_malloc_saca_los_arreglos_grandes_del_monton():
    """Sin ajustar, glibc da un arreglo de 64 MB con mmap (una región anónima aparte, que
    devuelve al liberarlo); con ajustar_malloc, sale del montón ([heap]) y se reusa."""
    assert _region("normal", "numpy") == "anonimo"
    assert _region("ajustado", "numpy") == "[heap]"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt es de glibc (Linux)")
def test_ajustar_malloc_hace_que_arrow_reserve_del_mismo_monton():
    """pyarrow reserva con su propio asignador (mimalloc), fuera del montón; con
    ajustar_malloc, del montón de glibc, que reusa lo liberado. Si quien corre el programa
    fijó ARROW_DEFAULT_MEMORY_POOL, se respeta."""
    pytest.importorskip("pyarrow")
    assert _region("normal", "arrow") == "anonimo"
    assert _region("ajustado", "arrow") == "[heap]"
    assert _region("ajustado", "arrow", ARROW_DEFAULT_MEMORY_POOL="mimalloc") == "anonimo"


_HILOS_DE_NUMPY = """
import os
import geo.cli
geo.cli._blas_de_un_hilo()
import numpy
print(os.environ["OPENBLAS_NUM_THREADS"], len(os.listdir("/proc/self/task")))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="cuenta hilos en /proc")
def test_catastro_importa_numpy_sin_hilos_de_openblas():
    """Sin el ajuste, OpenBLAS lanza un hilo por núcleo al importar numpy (con 2 núcleos, el
    proceso queda con 2 hilos); con él, numpy no agrega ninguno. Si quien corre el programa
    fijó OPENBLAS_NUM_THREADS, se respeta."""
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}

    def correr(**extra):
        r = subprocess.run([sys.executable, "-c", _HILOS_DE_NUMPY], capture_output=True,
                           text=True, check=True, env={**env, **extra})
        valor, hilos = r.stdout.split()
        return valor, int(hilos)

    assert correr() == ("1", 1)
    assert correr(OPENBLAS_NUM_THREADS="3")[0] == "3"


_RESERVAR = """
import sys
import numpy as np
from geo import memoria

def rss():
    for linea in open("/proc/self/status"):
        if linea.startswith("VmRSS:"):
            return int(linea.split()[1]) * 1024

if sys.argv[1] == "ajustado":
    memoria.ajustar_malloc()
antes = rss()
hilo = memoria.reservar(256 << 20)
if hilo is None:
    print("nada")
    sys.exit()
hilo.join()
tocada = rss() - antes
a = np.ones(24_000_000)  # 192 MB, del bloque ya tocado
nuevo = rss() - antes - tocada
print(tocada >> 20, nuevo >> 20, float(a.sum()))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt es de glibc (Linux)")
def test_reservar_toca_memoria_que_despues_se_reusa():
    """Sin ajustar_malloc, reservar no hace nada (glibc devolvería el bloque al liberarlo);
    con él, toca los 256 MB, y un arreglo de 192 MB pedido después los reusa: el proceso
    casi no crece."""
    import subprocess

    def correr(modo):
        r = subprocess.run([sys.executable, "-c", _RESERVAR, modo],
                           capture_output=True, text=True, check=True)
        return r.stdout.split()

    assert correr("normal") == ["nada"]
    tocada, nuevo, suma = correr("ajustado")
    assert int(tocada) >= 250  # MB
    assert int(nuevo) < 16  # MB: sin el bloque tocado serían ~192
    assert float(suma) == 24_000_000


def test_reservar_memoria_cuenta_los_predios_del_geopackage(tmp_path, monkeypatch):
    """catastro derivar toca de antemano MEMORIA_POR_PREDIO bytes por predio, contados en
    gpkg_ogr_contents; con otro archivo (o sin él) no hace nada y no falla."""
    from geo import cli, memoria
    from geo.capas import escribir_capas
    from geo.generador import generar_distrito

    pedidos = []
    monkeypatch.setattr(memoria, "reservar", lambda n: pedidos.append(n))
    capas = generar_distrito()
    ruta = escribir_capas({"predios": capas["predios"], "vias": capas["vias"]},
                          tmp_path / "distrito.gpkg")
    assert cli._reservar_memoria(ruta) == len(capas["predios"])
    assert pedidos == [cli.MEMORIA_POR_PREDIO * len(capas["predios"])]

    texto = tmp_path / "no_es_gpkg.gpkg"
    texto.write_text("hola")
    assert cli._reservar_memoria(texto) == 0
    assert cli._reservar_memoria(tmp_path / "no_existe.gpkg") == 0
    assert cli._reservar_memoria("postgresql://localhost/catastro") == 0
    assert len(pedidos) == 1


def test_vigilar_baja_el_archivo_cada_tanto_hasta_que_se_cierra_la_entrada(tmp_path):
    """El proceso de geo._bajar_a_disco espera a que el archivo exista, lo baja al disco una
    y otra vez (siempre ese archivo) y termina apenas se cierra su entrada."""
    import os
    import threading
    import time

    from geo._bajar_a_disco import vigilar

    ruta = tmp_path / "derivados.gpkg"
    leer, escribir = os.pipe()
    bajados = []
    resultado = []
    hilo = threading.Thread(target=lambda: resultado.append(
        vigilar(str(ruta), 0.02, leer, lambda fd: bajados.append(os.fstat(fd).st_ino))))
    hilo.start()
    time.sleep(0.1)
    assert bajados == []  # aún no existe: espera sin fallar
    ruta.write_bytes(b"x" * 4096)
    limite = time.monotonic() + 5
    while len(bajados) < 3 and time.monotonic() < limite:
        time.sleep(0.01)
    os.close(escribir)
    hilo.join(timeout=2)
    os.close(leer)
    assert not hilo.is_alive()
    assert len(bajados) >= 3 and set(bajados) == {ruta.stat().st_ino}
    assert resultado == [len(bajados)]


def _sucio_kb():
    for linea in Path("/proc/meminfo").read_text().splitlines():
        if linea.startswith("Dirty:"):
            return int(linea.split()[1])


def _procesos_bajar():
    import os

    hijos = []  # los procesos de geo._bajar_a_disco lanzados por este
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            orden = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            padre = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
        except OSError:  # ya terminó
            continue
        if b"geo._bajar_a_disco" in orden and int(padre) == os.getpid():
            hijos.append(pid)
    return hijos


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sync_file_range es de Linux")
def test_bajando_a_disco_no_deja_el_archivo_sucio_en_memoria(tmp_path):
    """Sin él, 64 MB recién escritos quedan en la caché como páginas sucias hasta ~30 s (el
    núcleo los escribe después, o el fsync del final); con él, bajan mientras el bloque
    sigue. Al salir del bloque su proceso ya terminó."""
    import time

    from geo.memoria import bajando_a_disco

    ruta = tmp_path / "grande.bin"
    bloque = bytes(range(256)) * 4096  # 1 MB
    with bajando_a_disco(ruta, cada_s=0.05):
        assert len(_procesos_bajar()) == 1
        antes = _sucio_kb()
        with open(ruta, "wb") as f:
            f.writelines([bloque] * 64)
        limite = time.monotonic() + 10
        while _sucio_kb() - antes > 16 << 10 and time.monotonic() < limite:
            time.sleep(0.05)
        quedan_kb = _sucio_kb() - antes
    assert quedan_kb < 16 << 10  # de 64 MB escritos, menos de 16 MB siguen sucios
    assert _procesos_bajar() == []
    assert ruta.read_bytes() == bloque * 64


def test_derivados_grandes_bajan_a_disco_una_vez_mientras_se_escriben(tmp_path, monkeypatch,
                                                                     siempre_aparte):
    """Con frentes en otro proceso o con muchos predios, el temporal de EscrituraDerivados
    baja al disco mientras se escribe: un solo vigilante, sobre el temporal (no el destino),
    y detenido antes de renombrarlo. Con pocos predios, ninguno."""
    from contextlib import contextmanager

    real = D.bajando_a_disco
    vigilados = []

    @contextmanager
    def contando(ruta, *args, **kwargs):
        with real(ruta, *args, **kwargs):
            yield
        vigilados.append((Path(ruta), Path(ruta).exists()))  # aún sin renombrar

    monkeypatch.setattr(D, "bajando_a_disco", contando)
    capas = distrito()
    monkeypatch.setattr(D, "FILAS_PARA_BAJAR_A_DISCO", 1)
    salida = tmp_path / "derivados.gpkg"
    with D.EscrituraDerivados(salida) as escritura:  # frentes aparte y además muchos predios
        escritura.terminar(D.derivar(capas, al_tener_frentes=escritura.frentes))
    assert len(vigilados) == 1
    temporal, existia = vigilados[0]
    assert temporal.parent == tmp_path and temporal != salida and existia
    assert not temporal.exists() and set(_capas_leidas(salida)) == {
        "predios", "frentes", "microrutas"}

    vigilados.clear()
    monkeypatch.setattr(D, "FILAS_EN_OTRO_PROCESO", 10**9)  # solo por los predios
    derivados = D.derivar(capas)
    D.escribir_derivados(derivados, tmp_path / "sin_aparte.gpkg")
    assert len(vigilados) == 1

    vigilados.clear()
    monkeypatch.setattr(D, "FILAS_PARA_BAJAR_A_DISCO", len(derivados.frentes) + 1)
    D.escribir_derivados(derivados, tmp_path / "chico.gpkg")
    assert vigilados == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sync_file_range es de Linux")
def test_bajando_a_disco_sin_poder_lanzar_el_proceso_no_estorba(tmp_path, monkeypatch):
    """Es solo para ir más rápido: si el proceso no se puede lanzar, el bloque corre igual y
    el archivo queda escrito (el fsync de archivo_atomico lo baja al final)."""
    from geo.memoria import bajando_a_disco

    monkeypatch.setattr(sys, "executable", str(tmp_path / "no_existe" / "python"))
    ruta = tmp_path / "a.bin"
    with bajando_a_disco(ruta, cada_s=0.01):
        ruta.write_bytes(b"datos")
    assert ruta.read_bytes() == b"datos"


def test_reemplazar_un_archivo_grande_lo_libera_en_otro_proceso(tmp_path, monkeypatch):
    """archivo_atomico sobre un destino grande: el ``rename`` le quita solo un nombre (otro
    enlace duro lo mantiene) y el enlace se borra en otro proceso; quien tenía abierto el
    archivo viejo lo sigue leyendo entero, y al final no queda nada más que el destino."""
    import os
    import time

    import geo.capas as C

    monkeypatch.setattr(C, "TAMANO_PARA_BORRAR_APARTE", 1000)
    destino = tmp_path / "d.gpkg"
    destino.write_bytes(b"viejo" * 1000)
    lanzados = []
    original = C._borrar_en_otro_proceso
    monkeypatch.setattr(C, "_borrar_en_otro_proceso",
                        lambda ruta: (lanzados.append((ruta, os.stat(ruta).st_nlink)),
                                      original(ruta)))
    with open(destino, "rb") as abierto:
        with C.archivo_atomico(destino) as tmp:
            tmp.write_bytes(b"nuevo")
        assert destino.read_bytes() == b"nuevo"
        assert abierto.read() == b"viejo" * 1000
    (enlace, enlaces), = lanzados
    assert enlace.parent == tmp_path and enlace.name.startswith(".d.gpkg.")
    assert enlaces == 1  # el destino ya es el nuevo: el enlace es el último nombre del viejo
    for _ in range(100):  # el otro proceso lo borra
        if not enlace.exists():
            break
        time.sleep(0.05)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.gpkg"]


def test_si_no_se_puede_reemplazar_no_queda_el_enlace(tmp_path, monkeypatch):
    """Si el ``rename`` falla, el destino queda como estaba, el error dice qué pasó y no
    queda el enlace oculto al anterior (que retendría sus 750 MB)."""
    import errno
    import os

    import geo.capas as C
    from geo.errores import ErrorEscritura

    monkeypatch.setattr(C, "TAMANO_PARA_BORRAR_APARTE", 1000)
    destino = tmp_path / "d.gpkg"
    destino.write_bytes(b"viejo" * 1000)

    def falla(origen, destino):
        raise OSError(errno.EACCES, "Permission denied", str(destino))

    monkeypatch.setattr(C.os, "replace", falla)
    with pytest.raises(ErrorEscritura, match="no tiene permiso"):
        with C.archivo_atomico(destino) as tmp:
            tmp.write_bytes(b"nuevo")
    monkeypatch.undo()
    assert destino.read_bytes() == b"viejo" * 1000
    assert os.stat(destino).st_nlink == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.gpkg"]


def test_reemplazar_un_archivo_chico_no_lanza_nada(tmp_path, monkeypatch):
    import geo.capas as C

    monkeypatch.setattr(C, "_borrar_en_otro_proceso", lambda ruta: pytest.fail("lanzó"))
    destino = tmp_path / "d.csv"
    destino.write_text("viejo")
    with C.archivo_atomico(destino) as tmp:
        tmp.write_text("nuevo")
    assert destino.read_text() == "nuevo"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]
