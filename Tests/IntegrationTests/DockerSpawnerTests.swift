import Foundation
import Testing

/// JupyterHub's DockerSpawner 14 call sequence (shared/reference/docker-api.md §7), replayed in
/// order with docker-py against berthd: move_certs into a volume through PUT archive on an
/// exited container, get_object's 404, create with an ephemeral port on 127.0.0.1, start,
/// post_start_cmd exec, port lookup, the server reached through that port, poll, stop, remove.
@Suite(.serialized) struct DockerSpawnerTests {
    @Test func theSpawnerSequenceWorksUnmodified() throws {
        let d = try Fixtures.daemonWithBusybox()
        let script = """
        import io, tarfile, time, urllib.request, docker
        c = docker.APIClient(base_url='\(d.host)', version='auto')
        name = 'jupyter-alice'
        c.inspect_image('bb')
        c.create_volume('jupyterhub-ssl-alice')
        hc = c.create_host_config(binds={'jupyterhub-ssl-alice': {'bind': '/certs', 'mode': 'rw'}})
        ct = c.create_container('bb', command=['sh'], volumes=['/certs'], host_config=hc)
        c.start(ct['Id'])
        c.wait(ct['Id'])
        buf = io.BytesIO(); tf = tarfile.TarFile(fileobj=buf, mode='w')
        data = b'CERT'; ti = tarfile.TarInfo('notebook.crt'); ti.size = len(data); ti.mode = 0o644
        tf.addfile(ti, io.BytesIO(data)); tf.close(); buf.seek(0)
        try:
            print('put', c.put_archive(container=ct['Id'], path='/certs', data=buf))
        finally:
            c.remove_container(ct['Id'])
        try:
            c.inspect_container(name)
        except docker.errors.NotFound:
            print('get_object 404')
        hc = c.create_host_config(auto_remove=False, links={}, mounts=[], mem_limit='512M', cpu_period=100000, cpu_quota=50000,
                                  binds={'jupyterhub-user-alice': {'bind': '/home/jovyan/work', 'mode': 'rw'},
                                         'jupyterhub-ssl-alice': {'bind': '/certs', 'mode': 'ro'}},
                                  port_bindings={8888: ('127.0.0.1',)}, network_mode='bridge')
        serve = "trap 'exit 0' TERM; mkdir -p /www && echo notebook > /www/index.html && httpd -p 8888 -h /www; while :; do sleep 1; done"
        obj = c.create_container(image='bb', environment={'JUPYTERHUB_API_TOKEN': 'tok'}, volumes=['/home/jovyan/work'],
                                 name=name, command=['sh', '-c', serve], ports={'8888/tcp': None}, host_config=hc)
        c.start(obj['Id'])
        ex = c.exec_create(cmd="sh -c 'cat /certs/notebook.crt; echo; echo err >&2'", container=obj['Id'])
        print('exec', c.exec_start(exec_id=ex, demux=True))
        port = c.port(obj['Id'], 8888)[0]
        print('port', port['HostIp'], port['HostPort'].isdigit())
        body = b''
        for _ in range(50):
            try:
                body = urllib.request.urlopen('http://127.0.0.1:%s/' % port['HostPort'], timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
        print('http', body.decode().strip())
        print('poll', c.inspect_container(name)['State']['Running'])
        c.stop(obj['Id'])
        st = c.inspect_container(name)['State']
        print('stopped', st['Running'], st['ExitCode'])
        c.remove_container(obj['Id'], v=True)
        try:
            c.inspect_container(name)
        except docker.errors.NotFound:
            print('removed 404')
        """
        let r = d.inNetns("/usr/bin/python3", "-c", script)
        #expect(r.stdout == """
            put True
            get_object 404
            exec (b'CERT\\n', b'err\\n')
            port 127.0.0.1 True
            http notebook
            poll True
            stopped False 0
            removed 404

            """, "\(r.stderr)")
    }
}
