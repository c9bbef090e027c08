"""Proceso auxiliar: escribe una tabla Arrow (archivo IPC) como capa de un GeoPackage.

Lo lanza :class:`geo.capas.EscrituraAparte` para escribir una capa grande mientras el proceso
principal sigue calculando (GDAL retiene el GIL mientras escribe: un hilo no serviría).
Importa solo pyarrow y pyogrio, para arrancar rápido.

Uso: ``python -m geo._escritor TABLA.arrow DESTINO.gpkg CAPA TIPO_GEOMETRIA CRS``
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    import pyarrow as pa
    import pyogrio

    origen, destino, capa, tipo, crs = argv
    # destino es un temporal de geo.capas.archivo_atomico: se sincroniza una vez al final
    pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": "OFF"})
    with pa.memory_map(origen) as f:
        tabla = pa.ipc.open_file(f).read_all()
    pyogrio.write_arrow(tabla, destino, layer=capa, driver="GPKG", geometry_name="geometry",
                        geometry_type=tipo, crs=crs or None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
