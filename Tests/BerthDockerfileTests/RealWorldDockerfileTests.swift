import Testing
@testable import BerthDockerfile

@Suite struct RealWorldDockerfileTests {
    /// Shaped like the official WordPress php-apache image's Dockerfile.
    static let wordpress = #"""
    # syntax=docker/dockerfile:1
    FROM php:8.2-apache

    # persistent dependencies
    RUN set -eux; \
    	apt-get update; \
    	apt-get install -y --no-install-recommends \
    # Ghostscript is required for rendering PDF previews
    		ghostscript \
    	; \
    	rm -rf /var/lib/apt/lists/*

    RUN { \
    		echo 'opcache.memory_consumption=128'; \
    		echo 'opcache.interned_strings_buffer=8'; \
    	} > /usr/local/etc/php/conf.d/opcache-recommended.ini

    RUN set -eux; \
    	a2enmod rewrite expires; \
    	{ \
    		echo 'RemoteIPHeader X-Forwarded-For'; \
    	} > /etc/apache2/conf-available/remoteip.conf

    ENV WORDPRESS_VERSION 6.4.2
    ENV WORDPRESS_SHA1=1234abcd

    RUN set -eux; \
    	version="$WORDPRESS_VERSION"; \
    	curl -o wordpress.tar.gz -fL "https://wordpress.org/wordpress-$version.tar.gz"; \
    	echo "$WORDPRESS_SHA1 *wordpress.tar.gz" | sha1sum -c -; \
    	tar -xzf wordpress.tar.gz -C /usr/src/; \
    	chown -R www-data:www-data /usr/src/wordpress

    VOLUME /var/www/html

    COPY --chown=www-data:www-data wp-config-docker.php /usr/src/wordpress/
    COPY docker-entrypoint.sh /usr/local/bin/

    ENTRYPOINT ["docker-entrypoint.sh"]
    CMD ["apache2-foreground"]
    """#

    @Test func wordpressStyle() throws {
        let file = try Dockerfile.parse(Self.wordpress)
        #expect(file.globalArgs.isEmpty)
        let stage = try #require(file.stages.first)
        #expect(stage.base == "php:8.2-apache")
        let keywords = stage.instructions.map(\.command.keyword)
        #expect(keywords == ["RUN", "RUN", "RUN", "ENV", "ENV", "RUN", "VOLUME", "COPY", "COPY", "ENTRYPOINT", "CMD"])
        #expect(stage.instructions.map(\.location.line) == [5, 13, 18, 24, 25, 27, 34, 36, 37, 39, 40])
        guard case .run(let apt) = stage.instructions[0].command, case .shell(let script) = apt.form else {
            Issue.record("first RUN"); return
        }
        // The comment line inside the continuation is dropped; the package stays.
        #expect(script.contains("--no-install-recommends \t\tghostscript \t; \trm -rf /var/lib/apt/lists/*"))
        #expect(!script.contains("Ghostscript is required"))
        #expect(stage.instructions[3].command == .env([KeyValue(key: "WORDPRESS_VERSION", value: "6.4.2")]))
        #expect(stage.instructions[6].command == .volume(["/var/www/html"]))
        #expect(stage.instructions[7].command == .copy(CopyCommand(sources: ["wp-config-docker.php"], destination: "/usr/src/wordpress/", chown: "www-data:www-data")))
        #expect(stage.instructions[9].command == .entrypoint(.exec(["docker-entrypoint.sh"])))
    }

    @Test func multiStageGoBuild() throws {
        let file = try Dockerfile.parse("""
        # syntax=docker/dockerfile:1.7
        ARG GO_VERSION=1.22
        FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-alpine AS build
        WORKDIR /src
        RUN --mount=type=cache,target=/go/pkg/mod \\
            --mount=type=bind,source=go.sum,target=go.sum \\
            --mount=type=bind,source=go.mod,target=go.mod \\
            go mod download -x
        ARG TARGETARCH
        RUN --mount=type=cache,target=/go/pkg/mod \\
            --mount=type=bind,target=. \\
            CGO_ENABLED=0 GOARCH=$TARGETARCH go build -o /bin/server ./cmd/server

        FROM alpine:3.19 AS final
        ARG UID=10001
        RUN adduser --disabled-password --gecos "" --uid "${UID}" appuser
        USER appuser
        COPY --from=build /bin/server /bin/
        EXPOSE 8080
        HEALTHCHECK --interval=10s CMD wget -qO- localhost:8080/health || exit 1
        ENTRYPOINT [ "/bin/server" ]
        """)
        #expect(file.globalArgs == [ArgDeclaration(name: "GO_VERSION", defaultValue: "1.22")])
        #expect(file.stages.map(\.name) == ["build", "final"])
        guard case .run(let download) = file.stages[0].instructions[1].command else { Issue.record("RUN"); return }
        #expect(download.mounts.count == 3)
        #expect(download.mounts[1] == RunMount(kind: .bind, target: "go.sum", source: "go.sum", readOnly: true))
        #expect(download.form == .shell("go mod download -x"))
        #expect(file.stage(named: "final")?.instructions.count == 7)
    }
}
